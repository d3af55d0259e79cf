{#-
  After each Athena build the nightly job unloads the served tables to Parquet in S3, and
  publishes them into the DuckDB file the site reads (webstats/jobs/athena.py): a web
  request never starts an Athena query. `tables` is a list of {name, where}, the job's
  choice of rows (the rows changed since the last publication, or all);

    dbt run-operation unload_tables --target athena \
      --args '{prefix: "s3://bucket/exports/run/", tables: [{name: stats, where: "1 = 1"}]}'

  writes each table's rows under <prefix><name>/ (UNLOAD needs that folder empty).
-#}
{% macro unload_tables(prefix, tables) %}
  {% for t in tables %}
    {% do run_query(unload_statement(target.schema, prefix, t.name, t.where)) %}
  {% endfor %}
{% endmacro %}

{% macro unload_select(schema, name, where) -%}
select * from {{ schema }}.{{ name }} where {{ where }}
{%- endmacro %}

{% macro unload_statement(schema, prefix, name, where) -%}
unload ({{ unload_select(schema, name, where) }})
to '{{ prefix }}{{ name }}/'
with (format = 'PARQUET', compression = 'SNAPPY')
{%- endmacro %}
