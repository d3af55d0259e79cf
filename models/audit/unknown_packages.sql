-- Package-shaped requests that were not counted because the manifest did not list the name
-- under the requested category when they were loaded (int_package_requests.in_manifest),
-- for analysts to see what was dropped; the manifest category and the reason are those of
-- the current manifest.
with dropped as (
    -- counted incrementally, a few rows a night (int_unknown_package_requests)
    select package, category, requests, first_request_date, last_request_date
    from {{ ref('int_unknown_package_requests') }}
),

manifest as (
    select * from {{ ref('stg_packages') }}
),

manifest_categories as (
    -- a package may be listed under one category only; keep the first if it is not
    select package, min(category) as manifest_category
    from manifest
    group by package
),

with_reasons as (
    select
        d.*,
        m.manifest_category,
        case
            when m.manifest_category is null
                then 'not in the manifest'
            when m.manifest_category = d.category
                then 'added to the manifest after the requests were loaded'
            else 'in the manifest under another category'
        end as reason
    from dropped as d
    left join manifest_categories as m
        on m.package = d.package
)

select
    package,
    category,
    manifest_category,
    reason,
    requests,
    first_request_date,
    last_request_date
from with_reasons
