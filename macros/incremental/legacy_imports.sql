{#- Imported legacy history in the incremental marts (stats, categorystats); the rule is
    in docs/rules.md, legacy history.

    Imported rows carry source_file_id = -import_id: negative, so they never move the
    log-file watermark (max(source_file_id)), and their smallest value tells which import
    the mart has already taken in. Precedence is by year: a year with any computed data
    is computed entirely, so a year is never part imported and part computed (its months
    keep adding up to the year, and distinct IPs are never mixed from two sources). -#}

{% macro legacy_import_filter(import_id_expr) -%}
  {#- In an incremental run: only rows of imports this mart has not taken in yet. -#}
  {%- if is_incremental() -%}
  {{ import_id_expr }} > (
      select coalesce(max(-source_file_id), 0) from {{ this }} where source_file_id < 0
  )
  {%- else -%}
  1 = 1
  {%- endif -%}
{%- endmacro %}

{% macro computed_years_in_this() -%}
  {#- Years already computed from logs in an incremental run's target (nothing otherwise). -#}
  {%- if is_incremental() %}
    union
    select distinct extract(year from date) as yr from {{ this }} where source_file_id > 0
  {%- endif -%}
{%- endmacro %}

{% macro delete_shadowed_legacy_rows() -%}
  {#- Post-hook: imported rows of a year that newly got computed data give way to it. -#}
  delete from {{ this }}
  where source_file_id < 0
    and extract(year from date) in (
        select extract(year from date) from {{ this }} where source_file_id > 0
    )
{%- endmacro %}
