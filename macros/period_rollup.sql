{#-
  The CTE chain shared by `stats` and `categorystats`: downloads and distinct IPs per
  `grain` and period, monthly (date = first of the month) and yearly (date = 31 December),
  ending in a CTE named `periods`. Downloads are counted from `downloads`; distinct IPs are
  counted from `ips`, the model that keeps the grain's distinct (period, IP) triples
  (macros/period_ips.sql), so no run needs count(distinct) over a whole month or year.

  Incremental: only the months and years touched by downloads from log files loaded since
  the previous run are recomputed (source_file_id is the watermark), which gives the same
  rows as a full rebuild. Years before the logs come from `legacy`, the imported legacy
  statistics; a year with any computed data is computed (macros/legacy.sql).
-#}
{% macro period_rollup(grain, ips, legacy) -%}
{%- set cols = grain | join(', ') -%}
{%- set d_cols = 'd.' ~ (grain | join(', d.')) -%}
{%- set l_cols = 'l.' ~ (grain | join(', l.')) -%}
downloads as (
    select * from {{ ref('downloads') }}
),

new_downloads as (
    select * from downloads
    where {{ new_rows_filter('file_id') }}
),

touched_periods as (
    select {{ month_start('request_date') }} as date, true as is_monthly
    from new_downloads
    union
    select {{ year_end('request_date') }} as date, false as is_monthly
    from new_downloads
),

dated_downloads as (
    select
        {{ cols }},
        file_id,
        {{ month_start('request_date') }} as month_date,
        {{ year_end('request_date') }} as year_date
    from downloads
),

period_downloads as (
    select {{ d_cols }}, t.date, t.is_monthly, count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_periods as t
        on t.date = d.month_date and t.is_monthly
    group by {{ d_cols }}, t.date, t.is_monthly
    union all
    select {{ d_cols }}, t.date, t.is_monthly, count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_periods as t
        on t.date = d.year_date and not t.is_monthly
    group by {{ d_cols }}, t.date, t.is_monthly
),

period_ips as (
    select {{ d_cols }}, d.date, d.is_monthly, count(*) as ip_count
    from {{ ips }} as d
    inner join touched_periods as t
        on t.date = d.date and t.is_monthly = d.is_monthly
    group by {{ d_cols }}, d.date, d.is_monthly
),

computed as (
    select
        {{ d_cols }},
        d.date,
        d.is_monthly,
        i.ip_count,
        d.download_count,
        d.source_file_id
    from period_downloads as d
    inner join period_ips as i
        on {% for col in grain %}i.{{ col }} = d.{{ col }} and {% endfor -%}
           i.date = d.date and i.is_monthly = d.is_monthly
),

computed_years as (
    -- imported legacy rows only fill years without computed data (macros/legacy.sql)
    select distinct extract(year from date) as yr from computed
    {{ computed_years_in_this() }}
),

imported as (
    select
        {{ l_cols }},
        l.date,
        l.is_monthly,
        l.ip_count,
        l.download_count,
        -l.import_id as source_file_id
    from {{ legacy }} as l
    where {{ legacy_import_filter('l.import_id') }}
      and extract(year from l.date) not in (select yr from computed_years)
),

periods as (
    select * from computed
    union all
    select * from imported
)
{%- endmacro %}
