-- What counts as a download, top to bottom (docs/rules.md; the steps are numbered as its
-- points): every request of the log files loaded since the previous run goes through the
-- steps below, and the ones shaped like a package download are kept, each marked whether
-- the manifest lists its package under its category (in_manifest). `downloads` is exactly
-- the rows with in_manifest; `unknown_packages` summarises the others.
-- Incremental (append by log file): each loaded request is parsed once, and the manifest
-- check is the one of the run that parsed it (the manifest at that time).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    full_refresh=(none if var('rebuild_downloads', false) else false),
    indexes=warehouse_indexes([{'columns': ['file_id']}, {'columns': ['request_at']}]),
    pre_hook="{{ no_nested_loops() }}",
) }}

with requests as (
    select * from {{ ref('stg_requests') }}
    where {{ new_rows_filter('file_id', 'file_id') }}
),

categories as (
    select * from {{ ref('stg_categories') }}
),

manifest as (
    select * from {{ ref('stg_packages') }}
),

get_requests as (
    -- 1. the method is GET, in any letter case (HEAD, POST, ... never download)
    select * from requests
    where upper(method) = 'GET'
),

counted_statuses as (
    -- 2. success or redirect: 200, 301, 302, 307, 308 (not 206, 304, 404, ...)
    select * from get_requests
    where status in (200, 301, 302, 307, 308)
),

normalised_paths as (
    -- 3. the path without a query string (the loader keeps it in uri_query, which the rule
    -- ignores; cut here too should a stem carry one) and with runs of '/' as one '/'
    select
        *,
        case
            -- the regular expression only where there is something to collapse
            when uri_stem like '%//%'
                then {{ regex_replace_all(dbt.split_part('uri_stem', "'?'", 1), '/+', '/') }}
            else {{ dbt.split_part('uri_stem', "'?'", 1) }}
        end as uri_path
    from counted_statuses
),

download_shaped as (
    -- 4. the shape /packages/<version>/<repository path>/<contrib dir>/<package>_<version>.<ext>
    -- with contrib dir src/contrib or bin/<...>/contrib/<...>, a package name without '_',
    -- '/' or '%', a version without '_' or '/', extension tar.gz, tgz or zip. One anchored
    -- pattern; the parts are cut out below with string functions, much cheaper than
    -- capturing groups.
    {%- set download_path = '^/packages/[^/]+/.+/'
        ~ '(src/contrib|bin/.+/contrib/[^/]+)/'
        ~ '[^/_%]+_[^/_]+[.](tar[.]gz|tgz|zip)$' %}
    select * from normalised_paths
    where {{ regex_matches('uri_path', download_path) }}
),

path_parts as (
    -- its parts: the Bioconductor version segment (3.18, release, devel, ...), the file name
    select
        *,
        {{ dbt.split_part('uri_path', "'/'", 3) }} as bioc_version,
        reverse({{ dbt.split_part('reverse(uri_path)', "'/'", 1) }}) as file_name
    from download_shaped
),

file_parts as (
    -- the package name and the file extension from the file name; between the version segment
    -- and the file name, the repository path (= category path + contrib dir):
    -- uri_path = '/packages/' || bioc_version || '/' || repository_path || '/' || file_name
    select
        *,
        {{ dbt.split_part('file_name', "'_'", 1) }} as package,
        case
            when file_name like '%.tar.gz' then 'tar.gz'
            when file_name like '%.tgz' then 'tgz'
            else 'zip'
        end as file_extension,
        substr(
            uri_path,
            12 + length(bioc_version),
            length(uri_path) - 12 - length(bioc_version) - length(file_name)
        ) as repository_path
    from path_parts
),

versioned as (
    -- the package version: between the first '_' and the '.' of the file extension
    select
        *,
        substr(
            file_name,
            length(package) + 2,
            length(file_name) - length(package) - 2 - length(file_extension)
        ) as package_version
    from file_parts
),

categorised as (
    -- the repository path starts with the log path of a category (seed `categories`)
    select
        r.*,
        c.category,
        substr(r.repository_path, length(c.log_path) + 2) as contrib_dir
    from versioned as r
    inner join categories as c
        on substr(r.repository_path, 1, length(c.log_path) + 1) = c.log_path || '/'
),

package_shaped as (
    -- ... followed directly by the contrib dir, which gives the download type
    select
        *,
        case
            when contrib_dir = 'src/contrib' then 'source'
            when contrib_dir like 'bin/windows/%' then 'win.binary'
            when contrib_dir like 'bin/macosx/%' then 'mac.binary'
            else 'other'
        end as download_type
    from categorised
    where contrib_dir = 'src/contrib'
        or {{ regex_matches('contrib_dir', '^bin/.+/contrib/[^/]+$') }}
),

manifest_checked as (
    -- 5. the manifest (seed `packages`) lists the package under that category: a name
    -- missing from it, or listed under another category, is not a download
    select
        r.*,
        m.package is not null as in_manifest
    from package_shaped as r
    left join manifest as m
        on m.package = r.package
            and m.category = r.category
),

decoded_agents as (
    -- not a step of the rule: what the download says about its client. The user agent as
    -- the client sent it (CloudFront logs it URL-encoded)
    select
        *,
        {{ ua_text('user_agent') }} as ua
    from manifest_checked
),

client_described as (
    -- the client, its R version and platform (macros/cross_db/user_agent.sql; docs/rules.md,
    -- the client of a download)
    select
        *,
        {{ ua_client('ua') }} as client,
        {{ ua_r_version('ua') }} as r_version,
        {{ ua_os('ua') }} as os,
        {{ ua_arch('ua') }} as arch
    from decoded_agents
)

select
    request_at,
    request_date,
    request_hour,
    period_date,
    ip_hash,
    status,
    category,
    package,
    package_version,
    bioc_version,
    download_type,
    edge_location,
    file_id,
    in_manifest,
    user_agent,
    client,
    r_version,
    os,
    arch,
    client_country,
    client_network
from client_described
