{#-
  Which delivery days a build reads from the raw logs (stg_requests filters the raw source
  by it). Locally every loaded request (the loader's ledger already made them new or old).

  On Athena the logs are the external table, scanned (and paid for) by the byte; a
  predicate on the partition column `delivery_date` with a literal is what prunes it. So:
  - from the newest delivery day of the last complete build (webstats_info's
    checked_thru_file_id, yyyymmdd), inclusive: that day again is cheap, and keeps the
    build's dates defined on a night without new logs; the incremental models still take
    only file ids past their own watermarks. Not applied without a previous build or with
    `rebuild_downloads` (which re-derives everything from all the logs);
  - through the var `athena_through` ('YYYY-MM-DD'), which the nightly job sets to the last
    settled day: CloudFront may deliver a day's entries up to 24 hours late, under file
    names of the day they happened, so a day is read once it can no longer change.
  The var `athena_since` ('YYYY-MM-DD') sets the first day by hand (and lets the offline
  compile render the window without a connection).
-#}
{% macro raw_partition_window() -%}
  {{ return(adapter.dispatch('raw_partition_window', 'webstats')()) }}
{%- endmacro %}

{% macro default__raw_partition_window() -%}
  1 = 1
{%- endmacro %}

{% macro athena__raw_partition_window() -%}
  {%- set since = var('athena_since', none) or previous_delivery_day() -%}
  {%- set through = var('athena_through', none) -%}
  {%- set bounds = [] -%}
  {%- if since -%}
    {%- do bounds.append("delivery_date >= '" ~ delivery_partition(since) ~ "'") -%}
  {%- endif -%}
  {%- if through -%}
    {%- do bounds.append("delivery_date <= '" ~ delivery_partition(through) ~ "'") -%}
  {%- endif -%}
  {{ bounds | join(' and ') if bounds else '1 = 1' }}
{%- endmacro %}

{% macro delivery_partition(day) -%}
  {#- 'YYYY-MM-DD' or yyyymmdd as the partition value 'YYYY/MM/DD' (checked: it goes into SQL). -#}
  {%- set digits = (day | string) | replace('-', '') | replace('/', '') -%}
  {%- if digits | length != 8 or not digits.isdigit() -%}
    {{ exceptions.raise_compiler_error("not a day: " ~ day) }}
  {%- endif -%}
  {{ digits[0:4] }}/{{ digits[4:6] }}/{{ digits[6:8] }}
{%- endmacro %}

{% macro previous_delivery_day() -%}
  {#- checked_thru_file_id of the last complete build (a delivery day), or none. -#}
  {%- if not execute or flags.WHICH not in ('build', 'run') or var('rebuild_downloads', false) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set info = adapter.get_relation(database=target.database, schema=target.schema,
                                      identifier='webstats_info') -%}
  {%- if info is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set day = run_query('select max(checked_thru_file_id) from ' ~ info).columns[0].values()[0] -%}
  {{ return(day) }}
{%- endmacro %}
