{% macro burst_window(ts_expr) -%}
  {#- The burst rule's block of a UTC time (docs/rules.md, likely automation): the
      automation_burst_minutes-minute block of its UTC day, counted from midnight (the
      minutes divide a day, so the blocks are those of UTC time). int_automation_bursts
      groups by it and int_download_automation joins on it: one expression for both. -#}
  cast(floor(
      ({{ hour_of(ts_expr) }} * 60 + cast(extract(minute from {{ ts_expr }}) as integer))
      / {{ var('automation_burst_minutes') }}.0
  ) as integer)
{%- endmacro %}
