-- Downloads and distinct client IPs per (UTC day, category, package): the bulk dump the site
-- serves under /packages/stats/dumps/ (docs/api.md, dumps). No IP and no hash leaves this
-- model, only counts. Incremental: the days touched by the downloads of newly loaded log
-- files are recomputed from `downloads` (a day's distinct IPs cannot be added up), reading
-- only the downloads from the first touched day on (one new day, one day's work).
-- The delete of the rewritten rows looks only at rows from the first new one on
-- (delete_from_column: macros/incremental/delete_insert.sql).
{{ config(
    materialized='incremental',
    delete_from_column='download_date',
    unique_key=['download_date', 'category', 'package'],
    indexes=warehouse_indexes([{'columns': ['download_date']}]),
) }}

-- `downloads` is named twice below rather than as one CTE: DuckDB materialises a CTE read
-- twice, which here meant copying every download of all the years each night.
with new_downloads as (
    select request_date, file_id from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
),

touched_days as (
    select
        request_date as download_date,
        max(file_id) as source_file_id
    from new_downloads
    group by 1
),

day_downloads as (
    select
        d.request_date as download_date,
        d.category,
        d.package,
        d.ip_hash,
        t.source_file_id
    from {{ ref('downloads') }} as d
    inner join touched_days as t on t.download_date = d.request_date
    where d.request_at >= (
            select cast(min(first_day.download_date) as timestamp)
            from touched_days as first_day
        )
),

per_package as (
    select
        download_date,
        category,
        package,
        count(*) as downloads,
        count(distinct ip_hash) as distinct_ips,
        max(source_file_id) as source_file_id
    from day_downloads
    group by 1, 2, 3
)

select
    download_date,
    category,
    package,
    cast(downloads as integer) as downloads,
    cast(distinct_ips as integer) as distinct_ips,
    source_file_id
from per_package
