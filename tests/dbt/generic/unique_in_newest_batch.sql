{#-
  For append-only models whose every run stamps its rows with one batch id: no row of the
  newest batch shares `columns` with another row, old or new. Checked after each run, this
  keeps the whole table unique by induction (a full build is one batch, so it checks every
  row), while a nightly run only looks at the keys it appended instead of grouping the
  whole table.
-#}
{% test unique_in_newest_batch(model, columns, batch_column) %}
{%- set cols = columns | join(', ') -%}
with newest_keys as (
    select {{ cols }}
    from {{ model }}
    where {{ batch_column }} = (select max({{ batch_column }}) from {{ model }})
)

select {{ cols }}, count(*) as n
from {{ model }} as t
where exists (
    select 1
    from newest_keys as k
    where {% for col in columns %}k.{{ col }} = t.{{ col }}{% if not loop.last %} and {% endif %}{% endfor %}
)
group by {{ cols }}
having count(*) > 1
{% endtest %}
