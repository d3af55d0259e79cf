{% macro rows_since_last_build(file_id_column) -%}
  {#- The rows a check reads: those past last_build_mark(). -#}
  {{- rows_past_mark(file_id_column, last_build_mark()) -}}
{%- endmacro %}
