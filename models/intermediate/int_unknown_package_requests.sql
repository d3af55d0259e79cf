-- Package-shaped requests not counted (int_package_requests.in_manifest false), per name
-- and requested category: how many, first and last day. What `unknown_packages` reports,
-- without the reason (which follows the current manifest, so it is joined there).
-- Incremental: the not-counted requests of the log files parsed since the previous run are
-- added to the stored counts of their names (a few rows a night), instead of counting
-- every parsed request of all the years again. Like int_package_requests it is rebuilt by
-- `--full-refresh` from what int_package_requests keeps.
{{ config(
    materialized='incremental',
    unique_key=['package', 'category'],
    incremental_strategy=('merge' if target.type == 'athena' else 'delete+insert'),
    table_type=('iceberg' if target.type == 'athena' else none),
) }}

with new_requests as (
    select package, category, request_date, file_id
    from {{ ref('int_package_requests') }}
    where not in_manifest
        and {{ new_rows_filter('file_id') }}
),

added as (
    select
        package,
        category,
        count(*) as requests,
        min(request_date) as first_request_date,
        max(request_date) as last_request_date,
        max(file_id) as source_file_id
    from new_requests
    group by package, category
),

stored as (
    {{ stored_rows(
        ['package', 'category', 'requests', 'first_request_date', 'last_request_date', 'source_file_id'],
        shaped_like='added',
        where='package in (select a.package from added as a)'
    ) }}
),

merged as (
    select
        a.package,
        a.category,
        a.requests + coalesce(s.requests, 0) as requests,
        coalesce(least(a.first_request_date, s.first_request_date), a.first_request_date)
            as first_request_date,
        coalesce(greatest(a.last_request_date, s.last_request_date), a.last_request_date)
            as last_request_date,
        greatest(a.source_file_id, coalesce(s.source_file_id, 0)) as source_file_id
    from added as a
    left join stored as s
        on s.package = a.package
            and s.category = a.category
)

select
    package,
    category,
    cast(requests as bigint) as requests,
    first_request_date,
    last_request_date,
    source_file_id
from merged
