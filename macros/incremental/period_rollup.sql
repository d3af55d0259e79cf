{#-
  The CTE chain shared by `stats` and `categorystats`: downloads and distinct IPs per
  `grain` and period, monthly (date = first of the month) and yearly (date = 31 December),
  ending in a CTE named `periods` (docs/rules.md, periods). Downloads are counted from `downloads`; distinct IPs are
  counted from `ips`, the model that keeps the grain's distinct (period, IP) triples
  (macros/incremental/period_ips.sql), so no run needs count(distinct) over a whole month or year.

  Incremental: both sources only ever gain rows, so a period's counts are its stored counts
  plus what the rows added since the previous run bring: the downloads of log files past
  the watermark (source_file_id) and the triples of batches past the triple watermark
  (ips_batch_file_id). The two watermarks are kept apart so that a run in which the triple
  model lagged (skipped, failed, not selected) picks its triples up later instead of losing
  them. Only the periods those rows touch are rewritten; the result equals a full build.
  Years before the logs come from `legacy`, the imported legacy statistics; a year with
  any computed data is computed (macros/incremental/legacy_imports.sql).
-#}
{% macro period_rollup(grain, ips, legacy) -%}
{%- set cols = grain | join(', ') -%}
{%- set a_cols = 'a.' ~ (grain | join(', a.')) -%}
{%- set l_cols = 'l.' ~ (grain | join(', l.')) -%}
new_download_periods as (
    -- each new download once in its month and once in its year (`downloads` named twice,
    -- not through a shared CTE, which DuckDB would materialise: every download of the
    -- years in a full build)
    select
        {{ cols }},
        {{ month_start('coalesce(period_date, request_date)') }} as date,
        true as is_monthly,
        file_id
    from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
    union all
    select
        {{ cols }},
        {{ year_end('coalesce(period_date, request_date)') }} as date,
        false as is_monthly,
        file_id
    from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
),

new_period_ips as (
    select {{ cols }}, date, is_monthly, batch_file_id
    from {{ ips }}
    where {{ new_rows_filter('batch_file_id', 'ips_batch_file_id') }}
),

additions as (
    select {{ cols }}, date, is_monthly,
        count(*) as download_count, 0 as ip_count,
        max(file_id) as source_file_id, 0 as ips_batch_file_id
    from new_download_periods
    group by {{ cols }}, date, is_monthly
    union all
    select {{ cols }}, date, is_monthly,
        0 as download_count, count(*) as ip_count,
        0 as source_file_id, max(batch_file_id) as ips_batch_file_id
    from new_period_ips
    group by {{ cols }}, date, is_monthly
),

added as (
    select {{ cols }}, date, is_monthly,
        sum(download_count) as download_count,
        sum(ip_count) as ip_count,
        max(source_file_id) as source_file_id,
        max(ips_batch_file_id) as ips_batch_file_id
    from additions
    group by {{ cols }}, date, is_monthly
),

stored as (
    -- the computed rows the additions add to (imported rows never: macros/incremental/legacy_imports.sql)
    {{ stored_rows(
        grain + ['date', 'is_monthly', 'download_count', 'ip_count', 'source_file_id', 'ips_batch_file_id'],
        shaped_like='added',
        where='source_file_id > 0 and date >= (select min(date) from added)'
    ) }}
),

computed as (
    select
        {{ a_cols }},
        a.date,
        a.is_monthly,
        a.ip_count + coalesce(s.ip_count, 0) as ip_count,
        a.download_count + coalesce(s.download_count, 0) as download_count,
        greatest(a.source_file_id, coalesce(s.source_file_id, 0)) as source_file_id,
        greatest(a.ips_batch_file_id, coalesce(s.ips_batch_file_id, 0)) as ips_batch_file_id
    from added as a
    left join stored as s
        on {% for col in grain %}s.{{ col }} = a.{{ col }} and {% endfor -%}
           s.date = a.date and s.is_monthly = a.is_monthly
),

computed_years as (
    -- imported legacy rows only fill years without computed data (macros/incremental/legacy_imports.sql)
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
        -l.import_id as source_file_id,
        0 as ips_batch_file_id
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
