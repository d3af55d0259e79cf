-- Likely automation, per download (docs/rules.md, likely automation): the rows of
-- `downloads` (int_package_requests with in_manifest, the same columns), each with the
-- reason a rule of seed `automation_rules` or the burst rule gives (null: none) and the
-- version of the rules that decided it, and the client's dimensions, so that
-- `daily_downloads` counts its days from this model alone. Nothing here changes
-- `downloads` or the legacy marts.
-- Incremental, delete+insert by (ip_hash, request_date): a run re-derives every
-- (address, UTC day) that new log files touch, all of its downloads, so a burst that new
-- files complete is flagged in full, as a full build would. When the rules' version differs
-- from the stored one, every (address, day) is touched: the flags are re-derived.
{{ config(
    materialized='incremental',
    unique_key=['ip_hash', 'request_date'],
    incremental_strategy=('merge' if target.type == 'athena' else 'delete+insert'),
    table_type=('iceberg' if target.type == 'athena' else none),
    on_schema_change='fail',
    delete_from_column='request_date',
    indexes=warehouse_indexes([{'columns': ['file_id']}, {'columns': ['request_date']}]),
) }}

{%- set burst_packages = var('automation_burst_packages') %}
{%- set burst_minutes = var('automation_burst_minutes') %}

with rules as (
    select * from {{ ref('automation_rules') }}
),

rules_version as (
    -- the seed's version and the burst parameters: a change of either re-derives
    {{ automation_rules_label() }}
),

{% if is_incremental() -%}
watermark as (
    -- the newest log file derived, when its flags came from today's rules (the newest
    -- file's rows carry the last run's version: a run with new rules rewrites every row);
    -- else -1: every (address, day) is derived again. One comparison with a scalar, which
    -- the engine answers from the newest rows (zone maps, indexes).
    select case
        when (
            select max(s.automation_rules_version) from {{ this }} as s
            where s.file_id = (select max(m.file_id) from {{ this }} as m)
        ) = (select rv.rules_label from rules_version as rv)
            then (select coalesce(max(t.file_id), 0) from {{ this }} as t)
        else -1
    end as file_id
),
{%- endif %}

{% if is_incremental() -%}
touched as (
    -- the (address, day)s to derive: those of new log files, or all when the version changed
    select distinct ip_hash, request_date
    from {{ ref('int_package_requests') }}
    where
        in_manifest
        and file_id > (select w.file_id from watermark as w)
),

first_day as (
    -- a scalar bound for the reads below: the engine then skips the older downloads
    -- (DuckDB's zone maps; on PostgreSQL the request_at index: bench_history.py, 44 s at
    -- 10M before)
    select cast(min(request_date) as timestamp) as first_at from touched
),

{% endif -%}
{#- The downloads (int_package_requests with in_manifest) are named in each CTE below that
    reads them, not through one shared CTE: DuckDB materialises a CTE named twice, i.e.
    every download of the years of a full build, twice (at 100M downloads, gigabytes
    spilled). `bursts` and `agents` read every download from the first touched day on: a
    superset of the touched (address, day)s, whose own rows all fall in it, so they find the
    same bursts and rules for them (and a full build has no touched set to join). -#}
{%- set burst_window -%}
    cast(floor(
        ({{ hour_of('request_at') }} * 60 + cast(extract(minute from request_at) as integer))
        / {{ burst_minutes }}.0
    ) as integer)
{%- endset %}

windows as (
    -- the downloads to derive, each with its burst window: the M-minute block of the UTC
    -- day (M divides a day, so the blocks are those of UTC time counted from midnight)
    select
        d.*,
        {{ burst_window }} as burst_window
    from {{ ref('int_package_requests') }} as d
    {%- if is_incremental() %}
    inner join touched as t
        on t.ip_hash = d.ip_hash and t.request_date = d.request_date
    where
        d.in_manifest
        and d.request_at >= (select f.first_at from first_day as f)
    {%- else %}
    -- a full build derives every (address, day): every download whose pair the join would
    -- find, without building the join's table of every pair of the history
    where d.in_manifest and d.ip_hash is not null and d.request_date is not null
    {%- endif %}
),

bursts as (
    -- one address, more than N distinct packages in one window
    select ip_hash, request_date, {{ burst_window }} as burst_window
    from {{ ref('int_package_requests') }}
    where in_manifest
    {% if is_incremental() -%}
        and request_at >= (select f.first_at from first_day as f)
    {%- endif %}
    group by ip_hash, request_date, {{ burst_window }}
    having count(distinct package) > {{ burst_packages }}
),

agents as (
    select distinct user_agent
    from {{ ref('int_package_requests') }}
    where in_manifest and user_agent is not null
    {% if is_incremental() -%}
        and request_at >= (select f.first_at from first_day as f)
    {%- endif %}
),

agent_rules as (
    -- the first rule (lowest rule_id) whose pattern the agent contains, in any letter case
    select a.user_agent, min(r.rule_id) as rule_id
    from agents as a
    inner join rules as r
        on r.kind = 'user_agent'
            and {{ dbt.position('r.pattern', 'lower(a.user_agent)') }} > 0
    group by a.user_agent
),

flagged as (
    select
        w.*,
        coalesce(r.reason, case when b.ip_hash is not null then 'burst' end)
            as automation_reason
    from windows as w
    left join agent_rules as ar on ar.user_agent = w.user_agent
    left join rules as r on r.rule_id = ar.rule_id
    left join bursts as b
        on
            b.ip_hash = w.ip_hash
            and b.request_date = w.request_date
            and b.burst_window = w.burst_window
)

select
    request_at,
    request_date,
    request_hour,
    period_date,
    ip_hash,
    status,
    category,
    package,
    package_version,
    bioc_version,
    download_type,
    edge_location,
    file_id,
    client,
    r_version,
    os,
    arch,
    client_country,
    automation_reason,
    (select rv.rules_label from rules_version as rv) as automation_rules_version
from flagged
