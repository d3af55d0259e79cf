{#- Small value transformations shared by several models. -#}

{% macro ip_hash(ip_expr) -%}
  {#- Salted one-way hash: distinct clients can be counted, IPs cannot be read back. -#}
  {{ dbt.hash(dbt.concat(["'" ~ (var('ip_salt') | replace("'", "''")) ~ "'", ip_expr])) }}
{%- endmacro %}

{% macro version_key(version_expr) -%}
  {#- '3.9' < '3.18' numerically: major * 1000 + minor. -#}
  (cast({{ dbt.split_part(version_expr, "'.'", 1) }} as integer) * 1000
   + cast({{ dbt.split_part(version_expr, "'.'", 2) }} as integer))
{%- endmacro %}

{% macro new_rows_filter(file_id_expr, watermark_column='source_file_id') -%}
  {#- In an incremental run: only rows from log files this model has not seen yet
      (file ids grow with every load, so the largest one seen is the watermark). -#}
  {%- if is_incremental() -%}
  {{ file_id_expr }} > (select coalesce(max({{ watermark_column }}), 0) from {{ this }})
  {%- else -%}
  1 = 1
  {%- endif -%}
{%- endmacro %}

{% macro stored_rows(columns, shaped_like, where='1 = 1') -%}
  {#- The rows an incremental run adds to: `columns` of this model's table in an incremental
      run; in a full build there are none (an empty relation shaped like the CTE
      `shaped_like`, whose columns are `columns` in the same order). -#}
  {%- if is_incremental() -%}
  select {{ columns | join(', ') }} from {{ this }} where {{ where }}
  {%- else -%}
  select * from {{ shaped_like }} where 1 = 0
  {%- endif -%}
{%- endmacro %}

{% macro warehouse_indexes(indexes) -%}
  {#- A model's secondary indexes, where the warehouse uses them: PostgreSQL's planner serves
      the site's lookups from them, while DuckDB's zone maps already do (same lookup times
      without them) and its ART indexes only cost time on every append of a nightly run. -#}
  {{ return(indexes if target.type == 'postgres' else []) }}
{%- endmacro %}

{% macro last_build_mark() -%}
  {#- The newest log file (load_ledger id) whose rows have been checked, or none where
      checks read every row. Every row a large incremental table gains or has rewritten
      carries the id of a log file the run read, so it is checked by the build that writes
      it; only a build whose checks all passed gets to write webstats_info (it is built
      last), whose checked_thru_file_id then marks those rows as checked. Inside an
      incremental `dbt build` the checks of such tables read only the rows past the mark
      (rows_since_last_build), which keeps a nightly run's cost proportional to the new
      logs instead of to all the years before; rows written by a build that failed stay
      past the mark and are checked again. `dbt test`, a full refresh and a build without
      the mark yet (a new warehouse, or one built before the mark existed) check every row.
      Returned as a number, not a subquery: the planner estimates a filter on a constant
      from the table's statistics and skips row groups by it. -#}
  {%- set scoped = execute and flags.WHICH == 'build' and not flags.FULL_REFRESH -%}
  {%- set info = adapter.get_relation(database=target.database, schema=target.schema,
                                      identifier='webstats_info') if scoped else none -%}
  {%- if info is not none and 'checked_thru_file_id' in
        (adapter.get_columns_in_relation(info) | map(attribute='name') | map('lower') | list) -%}
  {%- set sql = 'select coalesce(max(checked_thru_file_id), 0) from ' ~ info -%}
  {{ return(run_query(sql).columns[0].values()[0] | int) }}
  {%- endif -%}
  {{ return(none) }}
{%- endmacro %}

{% macro rows_since_last_build(file_id_column) -%}
  {#- The rows a check reads: those past last_build_mark(). -#}
  {{- rows_past_mark(file_id_column, last_build_mark()) -}}
{%- endmacro %}

{% macro rows_past_mark(file_id_column, mark) -%}
  {#- The rows past `mark` (all rows where it is none); a null id counts as past, so that
      the checks see it. -#}
  {%- if mark is none -%}
  1 = 1
  {%- else -%}
  ({{ file_id_column }} > {{ mark }} or {{ file_id_column }} is null)
  {%- endif -%}
{%- endmacro %}
