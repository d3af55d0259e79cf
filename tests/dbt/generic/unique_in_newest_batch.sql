{#-
  For append-only models whose every run stamps its rows with one batch id: no row of the
  newest batch shares `columns` with another row of that batch or of an older one. Checked
  after each run, this keeps the whole table unique by induction (a full build is one
  batch, so it groups every row, like unique_combination), while a nightly run groups only
  the keys it appended and joins them against the older rows. The newest rows are written
  out twice rather than as one CTE: DuckDB materialises a CTE read twice, which on a full
  build would hold the whole table in memory once more.
-#}
{% test unique_in_newest_batch(model, columns, batch_column) %}
{%- set cols = columns | join(', ') -%}
{%- set newest_batch -%}
(select max({{ batch_column }}) from {{ model }})
{%- endset -%}
with repeated_within_batch as (
    select {{ cols }}, count(*) as n
    from {{ model }}
    where {{ batch_column }} = {{ newest_batch }}
    group by {{ cols }}
    having count(*) > 1
),

repeating_older_rows as (
    select {% for col in columns %}n.{{ col }}, {% endfor %}2 as n
    from (
        select {{ cols }} from {{ model }} where {{ batch_column }} = {{ newest_batch }}
    ) as n
    inner join (
        select {{ cols }} from {{ model }} where {{ batch_column }} < {{ newest_batch }}
    ) as o
        on {% for col in columns %}o.{{ col }} = n.{{ col }}{% if not loop.last %}
       and {% endif %}{% endfor %}
)

select * from repeated_within_batch
union all
select * from repeating_older_rows
{% endtest %}
