{% macro automation_rules_label() -%}
  {#- The version of the likely-automation rules (docs/rules.md, likely automation): the
      seed's rules_version and the burst parameters, as one label. int_download_automation
      stores it with every flag and re-derives them all when it changes; daily_downloads
      recounts every day when it changes. One query over the small seed, so a model can
      compare it without reading its large tables. -#}
  select
      'rules ' || cast(max(rules_version) as varchar(16))
      || '; burst > {{ var("automation_burst_packages") }} packages in '
      || '{{ var("automation_burst_minutes") }} min' as rules_label
  from {{ ref('automation_rules') }}
{%- endmacro %}
