{#- The current UTC time as a timestamp without time zone, on every engine. -#}

{% macro utc_now() -%}
  {{ return(adapter.dispatch('utc_now', 'webstats')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
  cast(current_timestamp at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__utc_now() -%}
  timezone('UTC', current_timestamp)
{%- endmacro %}
