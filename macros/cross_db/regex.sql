{#- Regular expressions differ by engine; every model calls these instead. -#}

{% macro regex_replace_all(expr, pattern, replacement) -%}
  {{ return(adapter.dispatch('regex_replace_all', 'webstats')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro athena__regex_replace_all(expr, pattern, replacement) -%}
  regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}


{% macro regex_matches(expr, pattern) -%}
  {#- True when the whole of `expr` matches (patterns here are anchored with ^...$). -#}
  {{ return(adapter.dispatch('regex_matches', 'webstats')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expr, pattern) -%}
  regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expr, pattern) -%}
  ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro athena__regex_matches(expr, pattern) -%}
  regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}
