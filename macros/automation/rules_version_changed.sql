{% macro automation_rules_changed() -%}
  {#- In an incremental run of an automation model (int_automation_agents,
      int_automation_bursts: columns automation_rules_version, last_file_id), true when its
      stored rows carry another version of the rules than today's (automation_rules_label,
      as the CTE `rules_version`): the model then re-derives everything. One stored row's
      version, from the newest log file's rows (a run with new rules rewrites every row, so
      they all carry the same one): a scalar the engine answers from the newest rows. -#}
  (
      select max(s.automation_rules_version) from {{ this }} as s
      where s.last_file_id = (select max(m.last_file_id) from {{ this }} as m)
  ) is distinct from (select rv.rules_label from rules_version as rv)
{%- endmacro %}
