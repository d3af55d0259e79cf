-- One row describing the build: the days it covers and when it finished (the renderer
-- shows built_at as the generation time and keys its caches on it). Built last, after
-- every check passed: checked_thru_file_id tells the next build's checks of append-only
-- tables where to start (macros/checks/last_build_mark.sql). No row while no log is
-- loaded (a fresh warehouse built by dbt alone): there are no days to describe, and the
-- site answers 503 until there are.
-- depends_on: {{ ref('stats') }}
-- depends_on: {{ ref('categorystats') }}
-- depends_on: {{ ref('package_scores') }}
-- depends_on: {{ ref('hourly_downloads') }}
-- depends_on: {{ ref('minute_downloads') }}
with build_dates as (
    select * from {{ ref('int_build_dates') }}
),

last_file as (
    -- the newest loaded log file (status: what arrived last); Athena has no load ledger
    {% if target.type == 'athena' -%}
    select
        cast(null as varchar(1024)) as file_name,
        cast(null as timestamp) as loaded_at
    {%- else -%}
    select
        cast(ledger.file_name as varchar(1024)) as file_name,
        ledger.loaded_at
    from {{ source('raw', 'load_ledger') }} as ledger
    where ledger.file_id = (
            select max(newest.file_id) from {{ source('raw', 'load_ledger') }} as newest
        )
    {%- endif %}
)

select
    valid_thru,
    as_of_date,
    {{ utc_now() }} as built_at,
    cast('{{ var("bioc_release") }}' as varchar(16)) as bioc_release,
    cast('{{ var("bioc_devel") }}' as varchar(16)) as bioc_devel,
    last_file_id as checked_thru_file_id,
    (select lf.file_name from last_file as lf) as last_file_name,
    (select lf.loaded_at from last_file as lf) as last_file_loaded_at
from build_dates
where valid_thru is not null
