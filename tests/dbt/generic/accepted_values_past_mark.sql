{#-
  Every value of `column_name` is one of `values` (numbers, compared unquoted), like dbt's
  accepted_values; with `file_id_column`, an incremental `dbt build` checks only the rows
  past the last complete build's mark (macros/checks/last_build_mark.sql), so that a
  nightly run does not read the whole permanent record (`downloads`) to check one day.
  A failing test returns each unexpected value with its number of rows.
-#}
{% test accepted_values_past_mark(model, column_name, values, file_id_column=none) %}
select {{ column_name }} as value_field, count(*) as n_records
from {{ model }}
where {{ column_name }} not in ({{ values | join(', ') }})
{%- if file_id_column %}
    and {{ rows_since_last_build(file_id_column) }}
{%- endif %}
group by {{ column_name }}
{% endtest %}
