{% macro rows_past_mark(file_id_column, mark) -%}
  {#- The rows past `mark` (all rows where it is none); a null id counts as past, so that
      the checks see it. -#}
  {%- if mark is none -%}
  1 = 1
  {%- else -%}
  ({{ file_id_column }} > {{ mark }} or {{ file_id_column }} is null)
  {%- endif -%}
{%- endmacro %}
