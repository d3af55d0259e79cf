-- Downloads and distinct IPs per package, per month (date = first day of the month) and per
-- year (date = 31 December). A year's ip_count counts distinct IPs over the whole year, so
-- it is computed from the downloads, not from the months.
-- Incremental: recomputes only the months and years touched by downloads from log files
-- loaded since the previous run (source_file_id is the watermark), which gives the same
-- rows as a full rebuild.
{{ config(
    materialized='incremental',
    unique_key=['category', 'package', 'date', 'is_monthly'],
) }}

with downloads as (
    select * from {{ ref('downloads') }}
),

new_downloads as (
    select * from downloads
    where {{ new_rows_filter('file_id') }}
),

touched_months as (
    select distinct {{ month_start('request_date') }} as month_date
    from new_downloads
),

touched_years as (
    select distinct {{ year_end('request_date') }} as year_date
    from new_downloads
),

dated_downloads as (
    select
        category,
        package,
        ip_hash,
        file_id,
        {{ month_start('request_date') }} as month_date,
        {{ year_end('request_date') }} as year_date
    from downloads
),

monthly as (
    select
        d.category,
        d.package,
        d.month_date as date,
        true as is_monthly,
        count(distinct d.ip_hash) as ip_count,
        count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_months as t
        on t.month_date = d.month_date
    group by d.category, d.package, d.month_date
),

yearly as (
    select
        d.category,
        d.package,
        d.year_date as date,
        false as is_monthly,
        count(distinct d.ip_hash) as ip_count,
        count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_years as t
        on t.year_date = d.year_date
    group by d.category, d.package, d.year_date
),

periods as (
    select * from monthly
    union all
    select * from yearly
)

select
    category,
    package,
    date,
    is_monthly,
    cast(ip_count as integer) as ip_count,
    cast(download_count as integer) as download_count,
    source_file_id
from periods
