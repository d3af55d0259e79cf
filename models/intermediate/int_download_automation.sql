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

-- the downloads (int_package_requests with in_manifest) are read twice, each time with
-- its own bound, not through a shared CTE: DuckDB materialises a CTE named twice, i.e.
-- every download of the history each night
touched as (
    -- the (address, day)s to derive: those of new log files, or all when the version changed
    select distinct ip_hash, request_date
    from {{ ref('int_package_requests') }}
    where in_manifest
    {% if is_incremental() -%}
        and file_id > (select w.file_id from watermark as w)
    {%- endif %}
),

scope as (
    -- bounded by the first touched day: the engine then skips the older downloads (DuckDB's
    -- zone maps; on PostgreSQL the request_at index: bench_history.py, 44 s at 10M before)
    select d.*
    from {{ ref('int_package_requests') }} as d
    inner join touched as t
        on t.ip_hash = d.ip_hash and t.request_date = d.request_date
    where
        d.in_manifest
        and d.request_at >= (
            select cast(min(t2.request_date) as timestamp) from touched as t2
        )
),

windows as (
    -- the burst window: the M-minute block of the UTC day (M divides a day, so the blocks
    -- are those of UTC time counted from midnight)
    select
        *,
        cast(floor(
            ({{ hour_of('request_at') }} * 60 + cast(extract(minute from request_at) as integer))
            / {{ burst_minutes }}.0
        ) as integer) as burst_window
    from scope
),

bursts as (
    -- one address, more than N distinct packages in one window
    select ip_hash, request_date, burst_window
    from windows
    group by ip_hash, request_date, burst_window
    having count(distinct package) > {{ burst_packages }}
),

agents as (
    select distinct user_agent from scope
    where user_agent is not null
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
        coalesce(r.reason, nr.reason, case when b.ip_hash is not null then 'burst' end)
            as automation_reason
    from windows as w
    left join agent_rules as ar on ar.user_agent = w.user_agent
    left join rules as r on r.rule_id = ar.rule_id
    -- the client's cloud provider, looked up by the loader (one rule per provider)
    left join rules as nr
        on nr.kind = 'network' and nr.pattern = w.client_network
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
