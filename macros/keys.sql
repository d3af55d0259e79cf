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

{% macro rows_since_last_build(file_id_column) -%}
  {#- The rows a check of an append-only table looks at. Every row of such a table is
      checked by the build that appends it, and only a build whose checks all passed gets
      to write webstats_info (it is built last), whose checked_thru_file_id then marks
      those rows as checked. So inside an incremental `dbt build` the checks look only past
      that mark, which keeps a nightly run's cost proportional to the new logs instead of
      to all the years before; rows appended by a build that failed stay past the mark and
      are checked again. `dbt test`, a full refresh and a build without the mark yet (a
      new warehouse, or one built before the mark existed) check every row. -#}
  {%- set scoped = execute and flags.WHICH == 'build' and not flags.FULL_REFRESH -%}
  {%- set info = adapter.get_relation(database=target.database, schema=target.schema,
                                      identifier='webstats_info') if scoped else none -%}
  {%- if info is not none and 'checked_thru_file_id' in
        (adapter.get_columns_in_relation(info) | map(attribute='name') | map('lower') | list) -%}
  ({{ file_id_column }} > (select coalesce(max(checked_thru_file_id), 0) from {{ info }})
   or {{ file_id_column }} is null)
  {%- else -%}
  1 = 1
  {%- endif -%}
{%- endmacro %}
