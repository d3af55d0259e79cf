{#- Calendar helpers over dbt's cross-database macros; results are plain DATEs in UTC. -#}

{% macro month_start(date_expr) -%}
  cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro year_end(date_expr) -%}
  cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', date_expr))) }} as date)
{%- endmacro %}

{% macro hour_of(ts_expr) -%}
  cast(extract(hour from {{ ts_expr }}) as integer)
{%- endmacro %}
