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


{% macro regex_extract(expr, pattern) -%}
  {#- The first capturing group of the first match of `pattern` in `expr`, null when it
      does not match (patterns here have exactly one capturing group). -#}
  {{ return(adapter.dispatch('regex_extract', 'webstats')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_extract(expr, pattern) -%}
  nullif(regexp_extract({{ expr }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{% macro postgres__regex_extract(expr, pattern) -%}
  (regexp_match({{ expr }}, '{{ pattern }}'))[1]
{%- endmacro %}

{% macro athena__regex_extract(expr, pattern) -%}
  regexp_extract({{ expr }}, '{{ pattern }}', 1)
{%- endmacro %}
