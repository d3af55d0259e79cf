{% macro version_key(version_expr) -%}
  {#- '3.9' < '3.18' numerically: major * 1000 + minor. -#}
  (cast({{ dbt.split_part(version_expr, "'.'", 1) }} as integer) * 1000
   + cast({{ dbt.split_part(version_expr, "'.'", 2) }} as integer))
{%- endmacro %}
