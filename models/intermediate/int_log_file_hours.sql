-- The loaded log lines per (log file, UTC hour): what log_coverage counts. One row per file
-- and hour it touches, so a day of CloudFront logs is a few thousand rows whatever the
-- traffic. Incremental (append by log file, as `downloads`): a file's rows are counted once,
-- when it is first built. Like `downloads` it survives `--full-refresh` (raw requests may
-- have been pruned), unless `--vars '{rebuild_downloads: true}'`.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    full_refresh=(none if var('rebuild_downloads', false) else false),
    indexes=warehouse_indexes([{'columns': ['file_id']}]),
) }}

with requests as (
    select file_id, request_at from {{ ref('stg_requests') }}
    where {{ new_rows_filter('file_id', 'file_id') }}
),

per_file_hour as (
    select
        file_id,
        cast({{ dbt.date_trunc('hour', 'request_at') }} as timestamp) as hour_at,
        count(*) as line_count,
        min(request_at) as first_request_at,
        max(request_at) as last_request_at
    from requests
    group by 1, 2
)

select
    file_id,
    hour_at,
    cast(line_count as bigint) as line_count,
    first_request_at,
    last_request_at
from per_file_hour
