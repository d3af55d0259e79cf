-- Which UTC days the loaded logs cover, and how well (docs/rules.md, log coverage): per day,
-- the log files and lines loaded, the first and last request time, the hours with requests,
-- and whether the day is complete (requests in at least `coverage_min_hours` of its 24
-- hours). A day without a row had no loaded log line: the API shows its counts as null.
-- Incremental: only the days touched by log files loaded since the previous run are
-- recomputed, from their few int_log_file_hours rows (one new day's logs, one day's work).
{{ config(
    materialized='incremental',
    unique_key=['log_date'],
) }}

with file_hours as (
    select
        file_id,
        cast(hour_at as date) as log_date,
        hour_at,
        line_count,
        first_request_at,
        last_request_at
    from {{ ref('int_log_file_hours') }}
),

touched_days as (
    select distinct log_date from file_hours
    where {{ new_rows_filter('file_id') }}
),

touched_rows as (
    select fh.*
    from file_hours as fh
    inner join touched_days as td on td.log_date = fh.log_date
),

hours as (
    select
        log_date,
        hour_at,
        sum(line_count) as line_count,
        min(first_request_at) as first_request_at,
        max(last_request_at) as last_request_at
    from touched_rows
    group by 1, 2
),

files as (
    select
        log_date,
        count(distinct file_id) as log_files,
        max(file_id) as source_file_id
    from touched_rows
    group by 1
),

per_day as (
    select
        log_date,
        count(*) as hours_with_requests,
        sum(line_count) as line_count,
        min(first_request_at) as first_request_at,
        max(last_request_at) as last_request_at
    from hours
    group by 1
)

select
    d.log_date,
    cast(f.log_files as integer) as log_files,
    cast(d.line_count as bigint) as line_count,
    d.first_request_at,
    d.last_request_at,
    cast(d.hours_with_requests as integer) as hours_with_requests,
    d.hours_with_requests >= {{ var('coverage_min_hours') }} as is_complete,
    f.source_file_id
from per_day as d
inner join files as f on f.log_date = d.log_date
