{#-
  Offline compilation (no warehouse connection), used to prove the Athena target without
  AWS access: `dbt compile --target athena --no-populate-cache --no-introspect
  --vars '{offline_compile: full}'` (or `incremental` to render the incremental branch).
  Without the var this is dbt's own is_incremental().
-#}
{% macro is_incremental() %}
  {%- set offline = var('offline_compile', none) -%}
  {%- if offline is not none -%}
    {{ return(offline == 'incremental' and config.get('materialized') == 'incremental') }}
  {%- endif -%}
  {{ return(dbt.is_incremental()) }}
{% endmacro %}
