{#-
  A pre-hook for models whose first join PostgreSQL misplans: it estimates the rows left
  after the download rule's regular expression as one, and then joins the manifest by a
  nested loop that evaluates the path-splitting expressions once per (request, package)
  pair, a billion times for a night of 250k downloads and 3,700 packages (minutes instead
  of seconds; measured by bench/bench_history.py). Within the model's transaction only
  (`set local`). Other engines need nothing (an empty hook is skipped).
-#}
{% macro no_nested_loops() -%}
  {{ return(adapter.dispatch('no_nested_loops', 'webstats')()) }}
{%- endmacro %}

{% macro default__no_nested_loops() -%}
  {{ return('') }}
{%- endmacro %}

{% macro postgres__no_nested_loops() -%}
  {{ return('set local enable_nestloop = off') }}
{%- endmacro %}
