-- Package-shaped requests that were NOT counted because the manifest does not list the
-- name under the requested category: for analysts to see what was dropped and why.
with package_requests as (
    select * from {{ ref('int_package_requests') }}
),

manifest as (
    select * from {{ ref('stg_packages') }}
),

unmatched as (
    select r.*
    from package_requests as r
    left join manifest as m
        on m.package = r.package
       and m.category = r.category
    where m.package is null
),

other_category as (
    -- a package may be listed under one category only; keep the first if it is not
    select package, min(category) as manifest_category
    from manifest
    group by package
),

summarised as (
    select
        u.package,
        u.category,
        o.manifest_category,
        case
            when o.manifest_category is null then 'not in the manifest'
            else 'in the manifest under another category'
        end as reason,
        count(*) as requests,
        min(u.request_date) as first_request_date,
        max(u.request_date) as last_request_date
    from unmatched as u
    left join other_category as o
        on o.package = u.package
    group by u.package, u.category, o.manifest_category
)

select * from summarised
