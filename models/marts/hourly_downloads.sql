-- Downloads per UTC hour and dimension, for the JSON API. Incremental: `downloads` only
-- gains rows, so an hour's count is its stored count plus the downloads of the log files
-- loaded since the previous run (source_file_id is the watermark); only the hours those
-- downloads touch are rewritten, and the result equals a full build.
-- The delete of the rewritten rows looks only at rows from the first new one on
-- (delete_from_column: macros/incremental/delete_insert.sql).
{{ config(
    materialized='incremental',
    delete_from_column='hour_at',
    unique_key=['hour_at', 'category', 'package', 'bioc_version', 'download_type'],
    indexes=warehouse_indexes([{'columns': ['package', 'hour_at']}, {'columns': ['hour_at']}]),
) }}

with new_downloads as (
    select * from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
),

added as (
    select
        cast({{ dbt.date_trunc('hour', 'request_at') }} as timestamp) as hour_at,
        category,
        package,
        bioc_version,
        download_type,
        count(*) as downloads,
        max(file_id) as source_file_id
    from new_downloads
    group by 1, 2, 3, 4, 5
),

stored as (
    {{ stored_rows(
        ['hour_at', 'category', 'package', 'bioc_version', 'download_type', 'downloads', 'source_file_id'],
        shaped_like='added',
        where='hour_at >= (select min(hour_at) from added)'
    ) }}
),

hourly as (
    select
        a.hour_at,
        a.category,
        a.package,
        a.bioc_version,
        a.download_type,
        a.downloads + coalesce(s.downloads, 0) as downloads,
        greatest(a.source_file_id, coalesce(s.source_file_id, 0)) as source_file_id
    from added as a
    left join stored as s
        on s.hour_at = a.hour_at
            and s.category = a.category
            and s.package = a.package
            and s.bioc_version = a.bioc_version
            and s.download_type = a.download_type
)

select
    hour_at,
    category,
    package,
    bioc_version,
    download_type,
    cast(downloads as integer) as downloads,
    source_file_id
from hourly
