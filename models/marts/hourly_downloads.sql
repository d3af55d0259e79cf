-- Downloads per UTC hour and dimension, for the JSON API. Incremental like stats: the days
-- touched by newly loaded log files are recomputed whole.
{{ config(
    materialized='incremental',
    unique_key=['hour_at', 'category', 'package', 'bioc_version', 'download_type'],
    indexes=[{'columns': ['package', 'hour_at']}, {'columns': ['hour_at']}],
) }}

with downloads as (
    select * from {{ ref('downloads') }}
),

touched_days as (
    select distinct request_date
    from downloads
    where {{ new_rows_filter('file_id') }}
),

hourly as (
    select
        {{ dbt.date_trunc('hour', 'd.request_at') }} as hour_at,
        d.category,
        d.package,
        d.bioc_version,
        d.download_type,
        count(*) as downloads,
        max(d.file_id) as source_file_id
    from downloads as d
    inner join touched_days as t
        on t.request_date = d.request_date
    group by 1, 2, 3, 4, 5
)

select
    cast(hour_at as timestamp) as hour_at,
    category,
    package,
    bioc_version,
    download_type,
    cast(downloads as integer) as downloads,
    source_file_id
from hourly
