{% macro stored_rows(columns, shaped_like, where='1 = 1') -%}
  {#- The rows an incremental run adds to: `columns` of this model's stored table
      (stored_relation) in an incremental run; in a full build there are none (an empty relation shaped like the CTE
      `shaped_like`, whose columns are `columns` in the same order). -#}
  {%- if is_incremental() -%}
  select {{ columns | join(', ') }} from {{ stored_relation() }} where {{ where }}
  {%- else -%}
  select * from {{ shaped_like }} where 1 = 0
  {%- endif -%}
{%- endmacro %}
