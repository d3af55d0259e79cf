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


{% macro automation_rules_changed() -%}
  {#- Whether the stored flags were derived by other rules than today's (then every
      (address, day) is derived again). Asked before the model's SQL is written, so that
      a night with unchanged rules filters the downloads by file id alone, which the engine
      answers from the newest rows (zone maps, indexes) instead of reading every download.
      The newest log file's rows carry the version of the last run: a run with new rules
      rewrites every row. -#}
  {%- if not execute -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set sql -%}
    select
        (
            select max(automation_rules_version) from {{ this }}
            where file_id = (select max(file_id) from {{ this }})
        ) as stored,
        ({{ automation_rules_label(ref('automation_rules')) }}) as wanted
  {%- endset -%}
  {%- set row = run_query(sql).rows[0] -%}
  {{ return(row[0] is none or row[0] != row[1]) }}
{%- endmacro %}
