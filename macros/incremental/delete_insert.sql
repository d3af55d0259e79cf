{#-
  dbt's delete+insert with one addition: a model configured with `delete_from_column`
  (a column that grows with time, e.g. `hour_at`) deletes only among its rows at or after
  the smallest value the new rows bring. Why: the new rows of a night only ever replace
  rows of the periods they reach, and without the bound the engine may look for their keys
  through the whole table (PostgreSQL then scans every hour of fifteen years); with it,
  the index on that column (or DuckDB's zone maps) limits the delete to the recent rows.
  The result is the same: every replaced row is in that range.
  Overrides the macro of the same name in dbt's global project (a root project's macro
  takes precedence); the engine's own SQL is still dispatched.
-#}
{% macro get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
  {%- set column = config.get('delete_from_column') -%}
  {%- set predicates = [] + (incremental_predicates or []) -%}
  {%- if column -%}
    {%- do predicates.append(
        delete_target_alias() ~ '.' ~ column ~ ' >= (select min(' ~ column ~ ') from ' ~ source ~ ')'
    ) -%}
  {%- endif -%}
  {{ adapter.dispatch('get_delete_insert_merge_sql', 'dbt')(
      target, source, unique_key, dest_columns, predicates or none) }}
{%- endmacro %}


{% macro delete_target_alias() -%}
  {#- The alias the engine's delete+insert SQL gives the target table. -#}
  {{ return(adapter.dispatch('delete_target_alias')()) }}
{%- endmacro %}

{% macro default__delete_target_alias() -%}
  {{ return('DBT_INTERNAL_DEST') }}
{%- endmacro %}

{% macro duckdb__delete_target_alias() -%}
  {{ return('DBT_INCREMENTAL_TARGET') }}
{%- endmacro %}
