-- Downloads per UTC minute, for the API's downloads per local hour (get_daily_downloads):
-- every time zone's offset is a whole number of minutes, so minute counts fall exactly into
-- any zone's local hours, and the site needs no per-download rows (at most 1,440 rows a
-- day, whatever the traffic). Incremental like hourly_downloads: a minute's count is its
-- stored count plus the downloads of the log files loaded since the previous run.
-- The delete of the rewritten rows looks only at rows from the first new one on
-- (delete_from_column: macros/incremental/delete_insert.sql).
{{ config(
    materialized='incremental',
    delete_from_column='minute_at',
    unique_key=['minute_at'],
    indexes=warehouse_indexes([{'columns': ['minute_at']}]),
) }}

with new_downloads as (
    select * from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
),

added as (
    select
        cast({{ dbt.date_trunc('minute', 'request_at') }} as timestamp) as minute_at,
        count(*) as downloads,
        max(file_id) as source_file_id
    from new_downloads
    group by 1
),

stored as (
    {{ stored_rows(
        ['minute_at', 'downloads', 'source_file_id'],
        shaped_like='added',
        where='minute_at >= (select min(minute_at) from added)'
    ) }}
),

per_minute as (
    select
        a.minute_at,
        a.downloads + coalesce(s.downloads, 0) as downloads,
        greatest(a.source_file_id, coalesce(s.source_file_id, 0)) as source_file_id
    from added as a
    left join stored as s on s.minute_at = a.minute_at
)

select
    minute_at,
    cast(downloads as integer) as downloads,
    source_file_id
from per_minute
