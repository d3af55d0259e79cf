-- The days the published statistics refer to (docs/rules.md, the as-of day): valid_thru is
-- the last UTC day in the loaded logs, the as-of day the day after. Derived from the data,
-- never from the clock.
-- last_file_id: the newest loaded log file (what a complete build has checked).
with requests as (
    select * from {{ ref('stg_requests') }}
),

last_day as (
    select max(request_date) as valid_thru, max(file_id) as last_file_id
    from requests
)

select
    valid_thru,
    cast({{ dbt.dateadd('day', 1, 'valid_thru') }} as date) as as_of_date,
    last_file_id
from last_day
