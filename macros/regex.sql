{#- Regular expressions differ by engine; every model calls these instead. -#}

{% macro regex_extract(expr, pattern, group) -%}
  {{ return(adapter.dispatch('regex_extract', 'webstats')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(expr, pattern, group) -%}
  regexp_extract({{ expr }}, '{{ pattern }}', {{ group }})
{%- endmacro %}

{% macro postgres__regex_extract(expr, pattern, group) -%}
  (regexp_match({{ expr }}, '{{ pattern }}'))[{{ group }}]
{%- endmacro %}


{% macro regex_replace_all(expr, pattern, replacement) -%}
  {{ return(adapter.dispatch('regex_replace_all', 'webstats')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro athena__regex_replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
