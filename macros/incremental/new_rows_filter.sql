{% macro new_rows_filter(file_id_expr, watermark_column='source_file_id') -%}
  {#- In an incremental run: only rows from log files this model has not seen yet
      (file ids grow with every load, so the largest one seen is the watermark; why this
      gives the full build's result: docs/rules.md, incremental runs). -#}
  {%- if is_incremental() -%}
  {{ file_id_expr }} > (select coalesce(max({{ watermark_column }}), 0) from {{ stored_relation() }})
  {%- else -%}
  1 = 1
  {%- endif -%}
{%- endmacro %}
