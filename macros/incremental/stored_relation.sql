{% macro stored_relation() -%}
  {#- The table an incremental run reads its stored rows and its watermark from: this
      model's own table, except in a PostgreSQL nightly stage that builds the model as a
      delta (webstats/jobs/stage.py, DELTA_MARTS): there the staging schema holds an empty
      table that receives only the rows the night changes, and the stored rows stay in the
      live table (var `webstats_delta`: {stored_schema, models}), which the swap then
      updates with the delta in the same transaction that makes the rest of the build live.
      Why: copying the live table into the stage each night cost its whole size. -#}
  {%- set delta = var('webstats_delta', none) -%}
  {%- if delta and this.identifier in delta['models'] -%}
    {{ return(api.Relation.create(
        database=this.database, schema=delta['stored_schema'],
        identifier=this.identifier, type='table')) }}
  {%- endif -%}
  {{ return(this) }}
{%- endmacro %}
