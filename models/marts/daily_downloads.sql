-- Downloads per UTC day, package, the client's dimensions and likely automation
-- (docs/rules.md, the client of a download; likely automation): client, R version,
-- operating system, architecture, the client's country, the country of the CDN edge that
-- served it, and automation_reason ('' for none). For the API's breakdowns and its
-- `filter=people`; the legacy tables never read it. An unknown value is '' here (never
-- null: the rows' key must compare equal to itself); the API answers null.
-- Counted from int_download_automation (a view: the downloads joined to what decides their
-- flags, int_automation_agents and int_automation_bursts).
-- Incremental by whole days: a flag can change for downloads loaded earlier (a burst that
-- a later file completes, a new rules version), so a run recounts, whole, every day that
-- new log files touch (int_automation_bursts re-derived those days and marks them with
-- their newest file), and every day when the rules' version differs from the one stored
-- here. The recounted days replace the
-- stored ones (delete+insert by the day; on Athena a merge by the full key, whose rows gone
-- from a recounted day come as zero rows that delete their match). The result equals a
-- full build. source_file_id is the day's newest log file, on every row of the day (the
-- watermark; a publication takes the days past its mark whole).
{%- set keys = [
    'download_date', 'category', 'package',
    'client', 'r_version', 'os', 'arch', 'country', 'edge_country', 'automation_reason',
] %}
{%- set athena = target.type == 'athena' %}
{{ config(
    materialized='incremental',
    unique_key=(keys if athena else ['download_date']),
    delete_from_column=(none if athena else 'download_date'),
    incremental_strategy=('merge' if athena else 'delete+insert'),
    delete_condition=('src.downloads = 0' if athena else none),
    insert_condition=('src.downloads > 0' if athena else none),
    indexes=warehouse_indexes([{'columns': ['package', 'download_date']}, {'columns': ['download_date']}]),
) }}

with current_rules as (
    -- the version the automation models have just derived their flags with (from the
    -- seed: no scan of the flags)
    {{ automation_rules_label() }}
),

recounted_days as (
    -- the days to count: those new log files touched (int_automation_bursts marks every
    -- day with its newest file; a small table), and every day when the rules changed
    select request_date as download_date
    from {{ ref('int_automation_bursts') }}
    where
        burst_window = -1
        and (
            {{ new_rows_filter('last_file_id') }}
            {%- if is_incremental() %}
            -- (one stored row's version: a change recounts every day, so all rows carry the
            -- same one; the stored rows are the live table's in a PostgreSQL delta stage)
            or (select max(s.automation_rules_version) from (
                select automation_rules_version from {{ stored_relation() }} limit 1
            ) as s)
            is distinct from (select cr.rules_label from current_rules as cr)
            {%- endif %}
        )
),

edge_locations as (
    select * from {{ ref('edge_locations') }}
),

described as (
    -- an edge location is named by a nearby airport's IATA code and a number (IAD89-P1)
    select
        d.request_date as download_date,
        d.category,
        d.package,
        d.file_id,
        coalesce(d.client, '') as client,
        coalesce(d.r_version, '') as r_version,
        coalesce(d.os, '') as os,
        coalesce(d.arch, '') as arch,
        coalesce(d.client_country, '') as country,
        coalesce(e.country_code, '') as edge_country,
        coalesce(d.automation_reason, '') as automation_reason
    from {{ ref('int_download_automation') }} as d
    inner join recounted_days as r on r.download_date = d.request_date
    left join edge_locations as e
        on e.edge_code = substr(d.edge_location, 1, 3)
    -- bounded by the first recounted day: the engine then skips the older downloads
    -- (DuckDB's zone maps; on PostgreSQL the request_at index)
    where
        d.request_at >= (
            select cast(min(r2.download_date) as timestamp) from recounted_days as r2
        )
),

day_marks as (
    -- the day's newest log file, the watermark of every row of the day
    select download_date, max(file_id) as source_file_id
    from described
    group by download_date
),

counted as (
    select
        {{ keys | join(',\n        ') }},
        count(*) as downloads
    from described
    group by {{ keys | join(', ') }}
),

{%- if athena and is_incremental() %}

gone as (
    -- stored rows of a recounted day that its new count no longer has: zero rows, which the
    -- merge's delete_condition turns into deletes
    {%- set s_keys = [] %}
    {%- for k in keys %}{% do s_keys.append('s.' ~ k) %}{% endfor %}
    select
        {{ s_keys | join(',\n        ') }},
        0 as downloads
    from {{ this }} as s
    inner join day_marks as m on m.download_date = s.download_date
    where not exists (
        select 1 from counted as c
        where {% for k in keys %}c.{{ k }} = s.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
),

day_rows as (
    select * from counted
    union all
    select * from gone
),
{%- else %}

day_rows as (
    select * from counted
),
{%- endif %}

final as (
    select
        {% for k in keys -%}
        r.{{ k }},
        {% endfor -%}
        (select cr.rules_label from current_rules as cr) as automation_rules_version,
        cast(r.downloads as integer) as downloads,
        m.source_file_id
    from day_rows as r
    inner join day_marks as m on m.download_date = r.download_date
)

select * from final
