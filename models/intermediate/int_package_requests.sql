-- Requests that have the shape of a package download (SPEC 3), before the package name is
-- checked against the manifest: a GET with a success or redirect status for
-- /packages/<version>/<category path>/(src/contrib|bin/<...>/contrib/<...>)/<P>_<V>.<ext>.
with requests as (
    select * from {{ ref('stg_requests') }}
),

categories as (
    select * from {{ ref('stg_categories') }}
),

candidate_requests as (
    -- cheap filters first, so that the regular expressions only see likely downloads
    select *
    from requests
    where method = 'GET'
      and status in (200, 301, 302, 307, 308)
      and uri_path like '/packages/%'
      and (uri_path like '%.tar.gz' or uri_path like '%.tgz' or uri_path like '%.zip')
),

split_paths as (
    select
        *,
        {{ regex_extract('uri_path', '^/packages/([^/]+)/(.+)/([^/_%]+)_([^/_]+)[.](tar[.]gz|tgz|zip)$', 1) }} as bioc_version,
        {{ regex_extract('uri_path', '^/packages/([^/]+)/(.+)/([^/_%]+)_([^/_]+)[.](tar[.]gz|tgz|zip)$', 2) }} as repo_path,
        {{ regex_extract('uri_path', '^/packages/([^/]+)/(.+)/([^/_%]+)_([^/_]+)[.](tar[.]gz|tgz|zip)$', 3) }} as package,
        {{ regex_extract('uri_path', '^/packages/([^/]+)/(.+)/([^/_%]+)_([^/_]+)[.](tar[.]gz|tgz|zip)$', 4) }} as package_version
    from candidate_requests
),

split_repos as (
    -- repo_path = <category path>/<contrib dir>; the category path is whatever comes
    -- before the contrib dir, and must be one of the paths of the categories seed
    select
        *,
        {{ regex_extract('repo_path', '^(.+)/(src/contrib|bin/.+/contrib/[^/]+)$', 1) }} as category_path,
        {{ regex_extract('repo_path', '^(.+)/(src/contrib|bin/.+/contrib/[^/]+)$', 2) }} as contrib_path
    from split_paths
    where package is not null and package <> ''
),

package_requests as (
    select
        r.request_at,
        r.request_date,
        r.request_hour,
        r.ip_hash,
        r.status,
        c.category,
        r.package,
        r.package_version,
        r.bioc_version,
        case
            when r.contrib_path = 'src/contrib' then 'source'
            when r.contrib_path like 'bin/windows/%' then 'win.binary'
            when r.contrib_path like 'bin/macosx/%' then 'mac.binary'
            else 'other'
        end as download_type,
        r.edge_location,
        r.file_id
    from split_repos as r
    inner join categories as c
        on c.log_path = r.category_path
)

select * from package_requests
