{#-
  The version of the likely-automation rules (int_download_automation): the seed's version
  and the burst parameters, as a select over `rules` (a relation or CTE holding the seed).
-#}
{% macro automation_rules_label(rules) -%}
    select
        'rules ' || cast(max(rules_version) as varchar(16))
        || '; burst > {{ var("automation_burst_packages") }} packages in '
        || '{{ var("automation_burst_minutes") }} min' as rules_label
    from {{ rules }}
{%- endmacro %}
