-- The days the published statistics refer to (docs/rules.md, the as-of day): valid_thru is
-- the last UTC day in the loaded logs, the as-of day the day after. Derived from the data,
-- never from the clock.
-- last_file_id: the newest loaded log file (what a complete build has checked).
-- Read from the load ledger, one row per loaded file, which keeps each file's last request
-- time: a nightly build reads a few thousand ledger rows instead of every raw request kept
-- (30 days of logs and more). Athena keeps no ledger: there the raw requests of the
-- build's partition window are read.
with last_day as (
    {% if target.type == 'athena' -%}
    select
        max(request_date) as valid_thru,
        max(file_id) as last_file_id
    from {{ ref('stg_requests') }}
    {%- else -%}
    select
        cast(max(last_request_at) as date) as valid_thru,
        max(file_id) as last_file_id
    from {{ source('raw', 'load_ledger') }}
    where loaded_count > 0
    {%- endif %}
)

select
    valid_thru,
    cast({{ dbt.dateadd('day', 1, 'valid_thru') }} as date) as as_of_date,
    last_file_id
from last_day
