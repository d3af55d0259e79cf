{#-
  The CTE chain shared by `int_package_period_ips` and `int_category_period_ips`
  (docs/rules.md, distinct IPs): the distinct (grain, period, ip_hash) triples of the
  downloads, monthly (date = first of the month) and yearly (date = 31 December), ending in
  a CTE named `unseen_period_ips`.

  Why: a period's ip_count is a distinct count, and recomputing it with count(distinct)
  means re-reading every download of the touched month and year on every run (a whole
  year's by December). Kept as a table that only ever gains rows, the new downloads add
  the triples not stored yet, and a period's ip_count is a plain count of its triples.

  Incremental: downloads of the log files loaded since the previous run, minus the triples
  already stored, are appended; the result equals a full rebuild. Every row a run appends
  carries the same batch_file_id, the newest log file id among that run's downloads: it is
  the watermark, and a nightly build's checks read only the rows past the last complete
  build's mark by it (macros/checks/last_build_mark.sql). A run whose new downloads bring no
  unseen triple leaves the watermark where it was, so the next run looks at those downloads
  again and again finds nothing to add.
-#}
{% macro period_ips(grain) -%}
{%- set cols = grain | join(', ') -%}
{#- `downloads` is named in each CTE that reads it, not through one shared CTE: DuckDB
    materialises a CTE named twice, which in a full build meant every download of the
    years (with its IP hash) copied, and spilled, before the distincts. -#}
new_period_ips as (
    select distinct
        {{ cols }},
        {{ month_start('coalesce(period_date, request_date)') }} as date,
        true as is_monthly,
        ip_hash
    from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id', 'batch_file_id') }}
    union all
    select distinct
        {{ cols }},
        {{ year_end('coalesce(period_date, request_date)') }} as date,
        false as is_monthly,
        ip_hash
    from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id', 'batch_file_id') }}
),

batch as (
    select max(file_id) as batch_file_id
    from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id', 'batch_file_id') }}
),

{%- if is_incremental() %}

stored_period_ips as (
    -- only stored triples of periods the new ones can fall in (a yearly date is never
    -- before its months): the table grows month by month, and its older row groups are
    -- skipped unread
    select * from {{ this }}
    where date >= (
        select min({{ month_start('coalesce(period_date, request_date)') }})
        from {{ ref('downloads') }}
        where {{ new_rows_filter('file_id', 'batch_file_id') }}
    )
),
{%- endif %}

unseen_period_ips as (
    select n.*, b.batch_file_id
    from new_period_ips as n
    cross join batch as b
    {%- if is_incremental() %}
    where not exists (
        select 1
        from stored_period_ips as s
        where s.date = n.date
          and s.is_monthly = n.is_monthly
          and s.ip_hash = n.ip_hash
          {%- for col in grain %}
          and s.{{ col }} = n.{{ col }}
          {%- endfor %}
    )
    {%- endif %}
)
{%- endmacro %}
