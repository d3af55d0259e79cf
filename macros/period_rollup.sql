{#-
  The CTE chain shared by `stats` and `categorystats`: downloads and distinct IPs per
  `grain` and period, monthly (date = first of the month) and yearly (date = 31 December),
  ending in a CTE named `periods`. A year's ip_count counts distinct IPs over the whole year,
  so it is computed from the downloads, not from the months.

  Incremental: only the months and years touched by downloads from log files loaded since
  the previous run are recomputed (source_file_id is the watermark), which gives the same
  rows as a full rebuild. Years before the logs come from `legacy`, the imported legacy
  statistics; a year with any computed data is computed (macros/legacy.sql).
-#}
{% macro period_rollup(grain, legacy) -%}
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

touched_months as (
    select distinct {{ month_start('request_date') }} as month_date
    from new_downloads
),

touched_years as (
    select distinct {{ year_end('request_date') }} as year_date
    from new_downloads
),

dated_downloads as (
    select
        {{ cols }},
        ip_hash,
        file_id,
        {{ month_start('request_date') }} as month_date,
        {{ year_end('request_date') }} as year_date
    from downloads
),

monthly as (
    select
        {{ d_cols }},
        d.month_date as date,
        true as is_monthly,
        count(distinct d.ip_hash) as ip_count,
        count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_months as t
        on t.month_date = d.month_date
    group by {{ d_cols }}, d.month_date
),

yearly as (
    select
        {{ d_cols }},
        d.year_date as date,
        false as is_monthly,
        count(distinct d.ip_hash) as ip_count,
        count(*) as download_count,
        max(d.file_id) as source_file_id
    from dated_downloads as d
    inner join touched_years as t
        on t.year_date = d.year_date
    group by {{ d_cols }}, d.year_date
),

computed as (
    select * from monthly
    union all
    select * from yearly
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
