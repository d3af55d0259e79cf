{#-
  None of `columns` holds a null. One test per model rather than dbt's `not_null` per
  column: each is one scan of the table, but every test is also a dbt node with its own
  fixed cost, which over some sixty columns was a second of every nightly run. A failing
  test returns one row per column that holds nulls, with the number of null rows. With
  `file_id_column`, an incremental `dbt build` checks only the rows past the last complete
  build's mark (macros/checks/last_build_mark.sql).
-#}
{% test not_null_columns(model, columns, file_id_column=none) %}
with null_rows as (
    select
    {%- for col in columns %}
        sum(case when {{ col }} is null then 1 else 0 end) as nulls_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
    {%- if file_id_column %}
    where {{ rows_since_last_build(file_id_column) }}
    {%- endif %}
)

{% for col in columns -%}
select '{{ col }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_rows
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}
{% endtest %}
