{% macro warehouse_indexes(indexes) -%}
  {#- A model's secondary indexes, where the warehouse uses them: PostgreSQL's planner serves
      the site's lookups from them, while DuckDB's zone maps already do (same lookup times
      without them) and its ART indexes only cost time on every append of a nightly run. -#}
  {{ return(indexes if target.type == 'postgres' else []) }}
{%- endmacro %}
