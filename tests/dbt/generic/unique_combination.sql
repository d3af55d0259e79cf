{#-
  The combination of `columns` identifies a row: no two rows share it.

  With `file_id_column`, inside an incremental `dbt build` only the rows a nightly run wrote
  are grouped (those past the mark of macros/checks/last_build_mark.sql), and joined
  to the older rows; the older rows were checked when they were written, so the whole
  table stays unique while the run costs what its new rows cost. Everywhere else (`dbt
  test`, a full build) the scope is every row and the older set is empty: the whole table
  is grouped. The scoped rows are written out twice rather than as one CTE: DuckDB
  materialises a CTE read twice, which would hold the whole table in memory once more.
  The older rows' bound is a scalar subquery on purpose: DuckDB then hashes the (few) new
  rows and skips the older row groups outside their keys' range; with a constant bound it
  hashed the older rows (3-5 s instead of 0.03 s over 24M stored triples).
  `range_column` (one of `columns`, growing with time, indexed on PostgreSQL) bounds the
  older rows further to those at or after the new rows' smallest value: no other older
  row can share a new row's key. Without it PostgreSQL read every older row (the IP
  triples' check: 6.8 s at 1M downloads, ~50 s at 10M, bench/bench_history.py).
-#}
{% test unique_combination(model, columns, file_id_column=none, range_column=none) %}
{%- set cols = columns | join(', ') -%}
{%- if file_id_column is none %}
select {{ cols }}, count(*) as n
from {{ model }}
group by {{ cols }}
having count(*) > 1
{%- else -%}
{%- set mark = last_build_mark() -%}
{%- set scope = rows_past_mark(file_id_column, mark) -%}
{%- set older = '1 = 0' if mark is none else file_id_column ~ ' <= (select ' ~ mark ~ ')' -%}
{%- if mark is not none and range_column is not none -%}
{%- set older = older ~ ' and ' ~ range_column ~ ' >= (select min(' ~ range_column ~ ') from '
    ~ model ~ ' where ' ~ scope ~ ')' -%}
{%- endif -%}
with repeated_within_scope as (
    select {{ cols }}, count(*) as n
    from {{ model }}
    where {{ scope }}
    group by {{ cols }}
    having count(*) > 1
),

repeating_older_rows as (
    select {% for col in columns %}n.{{ col }}, {% endfor %}2 as n
    from (select {{ cols }} from {{ model }} where {{ scope }}) as n
    inner join (select {{ cols }} from {{ model }} where {{ older }}) as o
        on {% for col in columns %}o.{{ col }} = n.{{ col }}{% if not loop.last %}
       and {% endif %}{% endfor %}
)

select * from repeated_within_scope
union all
select * from repeating_older_rows
{%- endif %}
{% endtest %}
