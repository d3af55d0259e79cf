-- Likely automation, the burst rule (docs/rules.md, likely automation): the blocks of
-- automation_burst_minutes minutes of a UTC day in which one address (ip_hash) downloaded
-- more than automation_burst_packages distinct packages; every download of the address in
-- the block is a burst (unless a user-agent rule flags it first: int_download_automation).
-- Besides the bursts, each derived day has one mark row (ip_hash '' and burst_window -1,
-- which no download has) whose last_file_id is the day's newest log file: the watermark,
-- and the proof that a day without bursts was derived.
-- Incremental by whole days (a burst is one address within one day): a run re-derives
-- every day that new log files touch, from all of the day's downloads, so a burst that a
-- later file completes is found, as a full build would find it; when the rules' version
-- differs from the stored one, every day. The derived days replace the stored ones
-- (delete+insert by the day; on Athena a merge by the row's key, where a burst once found
-- stays one: downloads are only ever added, and int_download_automation reads only the
-- rows of today's rules version).
{%- set athena = target.type == 'athena' %}
{{ config(
    materialized='incremental',
    unique_key=(['request_date', 'ip_hash', 'burst_window'] if athena else ['request_date']),
    incremental_strategy=('merge' if athena else 'delete+insert'),
    table_type=('iceberg' if athena else none),
    delete_from_column=(none if athena else 'request_date'),
    on_schema_change='fail',
    indexes=warehouse_indexes([{'columns': ['request_date']}]),
) }}

{%- set burst_packages = var('automation_burst_packages') %}

with rules_version as (
    -- the seed's version and the burst parameters: a change re-derives every day
    {{ automation_rules_label() }}
),

{% if is_incremental() -%}
watermark as (
    -- the newest log file derived, or -1 when the rules changed (every day again): one
    -- scalar, so the engine can skip the older files' rows
    select case
        when {{ automation_rules_changed() }} then -1
        else (select coalesce(max(s.last_file_id), 0) from {{ this }} as s)
    end as last_file_id
),
{%- endif %}

-- the downloads (int_package_requests with in_manifest) are read twice, each time with
-- its own bound, not through a shared CTE: DuckDB materialises a CTE named twice
touched_days as (
    -- the days to derive: those of new log files, or all when the rules changed
    select distinct request_date
    from {{ ref('int_package_requests') }}
    where in_manifest
    {% if is_incremental() -%}
        and file_id > (select w.last_file_id from watermark as w)
    {%- endif %}
),

day_downloads as (
    -- every download of those days, bounded by the first one: the engine then skips the
    -- older downloads (DuckDB's zone maps; on PostgreSQL the request_at index)
    select
        d.request_date,
        d.ip_hash,
        d.package,
        d.file_id,
        {{ burst_window('d.request_at') }} as burst_window
    from {{ ref('int_package_requests') }} as d
    inner join touched_days as t on t.request_date = d.request_date
    where
        d.in_manifest
        and d.request_at >= (
            select cast(min(t2.request_date) as timestamp) from touched_days as t2
        )
),

day_marks as (
    -- one row per derived day: its newest log file
    select
        request_date,
        '' as ip_hash,
        -1 as burst_window,
        cast(null as integer) as distinct_packages,
        max(file_id) as last_file_id
    from day_downloads
    group by request_date
),

bursts as (
    -- one address, more than N distinct packages in one block
    select
        w.request_date,
        w.ip_hash,
        w.burst_window,
        cast(count(distinct w.package) as integer) as distinct_packages,
        m.last_file_id
    from day_downloads as w
    inner join day_marks as m on m.request_date = w.request_date
    group by w.request_date, w.ip_hash, w.burst_window, m.last_file_id
    having count(distinct w.package) > {{ burst_packages }}
),

derived as (
    select * from day_marks
    union all
    select * from bursts
)

select
    request_date,
    ip_hash,
    burst_window,
    distinct_packages,
    last_file_id,
    (select rv.rules_label from rules_version as rv) as automation_rules_version
from derived
