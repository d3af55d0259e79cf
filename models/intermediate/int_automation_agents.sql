-- Likely automation, the user-agent rules (docs/rules.md, likely automation): every user
-- agent the downloads have sent, with the first rule of seed `automation_rules` (kind
-- user_agent, lowest rule_id) whose pattern it contains in any letter case, read as text
-- (CloudFront logs the agent URL-encoded: ua_text decodes the spaces); rule_id and
-- automation_reason null when none does. The agent '' stands for "no agent" (never
-- flagged). A few thousand rows, not one per download: int_download_automation joins the
-- downloads to it.
-- Incremental, delete+insert by agent: a run derives the agents of the log files loaded
-- since (last_file_id, the newest file an agent was seen in, is the watermark) and, when
-- the rules' version differs from the stored one, every stored agent again.
{{ config(
    materialized='incremental',
    unique_key=['user_agent'],
    incremental_strategy=('merge' if target.type == 'athena' else 'delete+insert'),
    table_type=('iceberg' if target.type == 'athena' else none),
    on_schema_change='fail',
) }}

with rules as (
    select * from {{ ref('automation_rules') }}
    where kind = 'user_agent'
),

rules_version as (
    -- the seed's version and the burst parameters: a change re-derives every agent
    {{ automation_rules_label() }}
),

new_agents as (
    -- the agents of the downloads of new log files, each with the newest file it came in
    select
        coalesce(user_agent, '') as user_agent,
        max(file_id) as last_file_id
    from {{ ref('int_package_requests') }}
    where in_manifest
    {% if is_incremental() -%}
        and file_id > (select coalesce(max(s.last_file_id), 0) from {{ this }} as s)
    {%- endif %}
    group by coalesce(user_agent, '')
),

seen_agents as (
    -- ... and, when the rules changed, every agent seen before (its newest file kept)
    select user_agent, max(last_file_id) as last_file_id
    from (
        select user_agent, last_file_id from new_agents
        {%- if is_incremental() %}
        union all
        select s.user_agent, s.last_file_id from {{ this }} as s
        where {{ automation_rules_changed() }}
        {%- endif %}
    ) as a
    group by user_agent
),

first_rules as (
    -- the first rule (lowest rule_id) whose pattern the agent's text contains, in any
    -- letter case (`yahoo! slurp` in `Yahoo!%20Slurp` as CloudFront logs it)
    select a.user_agent, min(r.rule_id) as rule_id
    from seen_agents as a
    inner join rules as r
        on {{ dbt.position('r.pattern', 'lower(' ~ ua_text('a.user_agent') ~ ')') }} > 0
    group by a.user_agent
)

select
    a.user_agent,
    f.rule_id,
    r.reason as automation_reason,
    a.last_file_id,
    (select rv.rules_label from rules_version as rv) as automation_rules_version
from seen_agents as a
left join first_rules as f on f.user_agent = a.user_agent
left join rules as r on r.rule_id = f.rule_id
