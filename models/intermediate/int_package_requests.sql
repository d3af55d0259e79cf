-- Requests that have the shape of a package download (SPEC 3), before the package name is
-- checked against the manifest: a GET with a success or redirect status for
-- /packages/<version>/<category path>/(src/contrib|bin/<...>/contrib/<...>)/<P>_<V>.<ext>
-- (P without '_', '/' or '%'; V without '_' or '/'; ext tar.gz, tgz or zip).
-- Incremental (append by log file): the path is parsed once per loaded request, and
-- downloads, unknown_packages and the tests read the parsed rows.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=(none if var('rebuild_downloads', false) else false),
) }}

with requests as (
    select * from {{ ref('stg_requests') }}
    where {{ new_rows_filter('file_id', 'file_id') }}
),

categories as (
    select * from {{ ref('stg_categories') }}
),

download_shaped as (
    -- one anchored pattern for the whole rule; the parts are cut out below with string
    -- functions, which are much cheaper than capturing groups
    select *
    from requests
    where method = 'GET'
      and status in (200, 301, 302, 307, 308)
      and {{ regex_matches('uri_path', '^/packages/[^/]+/.+/(src/contrib|bin/.+/contrib/[^/]+)/[^/_%]+_[^/_]+[.](tar[.]gz|tgz|zip)$') }}
),

file_names as (
    select
        *,
        {{ dbt.split_part('uri_path', "'/'", 3) }} as bioc_version,
        reverse({{ dbt.split_part('reverse(uri_path)', "'/'", 1) }}) as file_name
    from download_shaped
),

split_files as (
    select
        *,
        {{ dbt.split_part('file_name', "'_'", 1) }} as package,
        case when file_name like '%.tar.gz' then 7 else 4 end as extension_length,
        -- uri_path = '/packages/' || bioc_version || '/' || repo_path || '/' || file_name
        substr(
            uri_path,
            12 + length(bioc_version),
            length(uri_path) - 12 - length(bioc_version) - length(file_name)
        ) as repo_path
    from file_names
),

package_requests as (
    -- repo_path = <category path>/<contrib dir>, the category path one of the seed's
    select
        r.request_at,
        r.request_date,
        r.request_hour,
        r.ip_hash,
        r.status,
        c.category,
        r.package,
        substr(
            r.file_name,
            length(r.package) + 2,
            length(r.file_name) - length(r.package) - 1 - r.extension_length
        ) as package_version,
        r.bioc_version,
        case
            when substr(r.repo_path, length(c.log_path) + 2) = 'src/contrib' then 'source'
            when substr(r.repo_path, length(c.log_path) + 2) like 'bin/windows/%' then 'win.binary'
            when substr(r.repo_path, length(c.log_path) + 2) like 'bin/macosx/%' then 'mac.binary'
            else 'other'
        end as download_type,
        r.edge_location,
        r.file_id
    from split_files as r
    inner join categories as c
        on substr(r.repo_path, 1, length(c.log_path) + 1) = c.log_path || '/'
    where substr(r.repo_path, length(c.log_path) + 2) = 'src/contrib'
       or {{ regex_matches("substr(r.repo_path, length(c.log_path) + 2)", '^bin/.+/contrib/[^/]+$') }}
)

select * from package_requests
