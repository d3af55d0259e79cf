-- Likely automation, per download (docs/rules.md, likely automation): the rows of
-- `downloads` (int_package_requests with in_manifest, the same columns), each with the
-- reason the rules give (null: none) and the rules' version. A view, not a copy of every
-- download: what decides the flags is stored in int_automation_agents (the first user-agent
-- rule of every agent seen) and int_automation_bursts (the burst blocks), both small and
-- incremental; this view joins the downloads to them, so that daily_downloads (and an
-- analyst) reads one flag per download. Nothing here changes `downloads` or the legacy
-- marts.
-- The reason: the first matching user-agent rule (lowest rule_id), else the rule of the
-- client's cloud provider (client_network, looked up by the loader), else 'burst'.
{{ config(materialized='view') }}

with rules_version as (
    -- today's rules: the version the two models above derived with in this run
    {{ automation_rules_label() }}
),

package_downloads as (
    select * from {{ ref('int_package_requests') }}
    where in_manifest
),

network_rules as (
    -- one rule per cloud provider (seed automation_rules, kind 'network')
    select pattern as client_network, reason as automation_reason
    from {{ ref('automation_rules') }}
    where kind = 'network'
),

agent_rules as (
    -- the agents a rule flags (the others are not joined)
    select user_agent, automation_reason
    from {{ ref('int_automation_agents') }}
    where rule_id is not null
),

bursts as (
    -- the burst blocks of today's rules (not the days' marks)
    select request_date, ip_hash, burst_window
    from {{ ref('int_automation_bursts') }}
    where
        burst_window >= 0
        and automation_rules_version = (select rv.rules_label from rules_version as rv)
),

flagged as (
    select
        d.*,
        coalesce(
            a.automation_reason,
            n.automation_reason,
            case when b.ip_hash is not null then 'burst' end
        ) as automation_reason
    from package_downloads as d
    left join agent_rules as a on a.user_agent = d.user_agent
    left join network_rules as n on n.client_network = d.client_network
    left join bursts as b
        on
            b.request_date = d.request_date
            and b.ip_hash = d.ip_hash
            and b.burst_window = {{ burst_window('d.request_at') }}
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
    user_agent,
    client,
    r_version,
    os,
    arch,
    client_country,
    automation_reason,
    (select rv.rules_label from rules_version as rv) as automation_rules_version
from flagged
