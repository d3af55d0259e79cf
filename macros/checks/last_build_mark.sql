{% macro last_build_mark() -%}
  {#- The newest log file (load_ledger id) whose rows have been checked, or none where
      checks read every row (docs/rules.md, what a nightly build checks). Every row a large incremental table gains or has rewritten
      carries the id of a log file the run read, so it is checked by the build that writes
      it; only a build whose checks all passed gets to write webstats_info (it is built
      last), whose checked_thru_file_id then marks those rows as checked. Inside an
      incremental `dbt build` the checks of such tables read only the rows past the mark
      (rows_since_last_build), which keeps a nightly run's cost proportional to the new
      logs instead of to all the years before; rows written by a build that failed stay
      past the mark and are checked again. `dbt test`, a full refresh and a build without
      the mark yet (a new warehouse, or one built before the mark existed) check every row.
      Returned as a number, not a subquery: the planner estimates a filter on a constant
      from the table's statistics and skips row groups by it. -#}
  {%- set scoped = execute and flags.WHICH == 'build' and not flags.FULL_REFRESH -%}
  {%- set info = adapter.get_relation(database=target.database, schema=target.schema,
                                      identifier='webstats_info') if scoped else none -%}
  {%- if info is not none and 'checked_thru_file_id' in
        (adapter.get_columns_in_relation(info) | map(attribute='name') | map('lower') | list) -%}
  {%- set sql = 'select coalesce(max(checked_thru_file_id), 0) from ' ~ info -%}
  {{ return(run_query(sql).columns[0].values()[0] | int) }}
  {%- endif -%}
  {{ return(none) }}
{%- endmacro %}
