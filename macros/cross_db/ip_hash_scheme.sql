{#-
  Which hash each stored ip_hash is (docs/privacy.md, the hash and its migration).

  Versions before HMAC stored md5(secret || address). Changing the function changes every
  hash, and a period's distinct-IP count compares the hashes of its downloads, so a
  warehouse with md5 hashes is migrated once (`webstats migrate-ip-hash`, i.e.
  `dbt run-operation migrate_ip_hash`): the years whose every stored hash can be re-derived
  from the raw requests still kept get HMAC hashes, mapped in place (old hash -> new hash,
  computed from the raw addresses); the earlier years (raw rows pruned) keep md5, and so
  do the requests of those years loaded later. The boundary is a year start, because a
  year's distinct count spans its months: no period ever mixes the two hashes, and every
  distinct-IP count stays exactly what it was.

  The one-row table `ip_hash_scheme` records it: `hmac_from` (requests on or after it are
  HMAC; 1970-01-01 in a warehouse that never had md5), `state` ('done', or 'migrating'
  while a migration runs), `changed_at`. Every dbt run checks it first
  (ip_hash_scheme_setup): a warehouse with md5 hashes and no migration is refused, so the
  two hashes are never mixed by accident. DuckDB and PostgreSQL; Athena builds HMAC
  throughout (var `ip_hash_hmac_from` names a boundary there).
-#}

{% macro ip_hash_relation(identifier='ip_hash_scheme') -%}
  {{ return(api.Relation.create(
      database=target.database, schema=target.schema, identifier=identifier)) }}
{%- endmacro %}


{% macro ip_hash_table_exists(identifier) -%}
  {%- set sql -%}
    select count(*) from information_schema.tables
    where table_catalog = current_database()
      and table_schema = '{{ target.schema }}' and table_name = '{{ identifier }}'
  {%- endset -%}
  {{ return(run_query(sql).columns[0].values()[0] | int > 0) }}
{%- endmacro %}


{% macro ip_hash_scheme_row() -%}
  {#- [hmac_from as 'YYYY-MM-DD', state] of the warehouse, or none (no table, or empty) -#}
  {%- if not ip_hash_table_exists('ip_hash_scheme') -%}{{ return(none) }}{%- endif -%}
  {%- set rows = run_query(
      "select cast(hmac_from as varchar(10)), state from " ~ ip_hash_relation()) -%}
  {%- if rows | length == 0 -%}{{ return(none) }}{%- endif -%}
  {{ return([rows[0][0], rows[0][1]]) }}
{%- endmacro %}


{% macro ip_hash_hmac_from() -%}
  {#- The first day hashed with HMAC, as 'YYYY-MM-DD', or none when every day is (see
      above). Read when a model is run, after ip_hash_scheme_setup has checked the row. -#}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- if target.type not in ('duckdb', 'postgres') -%}
    {{ return(var('ip_hash_hmac_from', none)) }}
  {%- endif -%}
  {%- set row = ip_hash_scheme_row() -%}
  {%- if row is none or row[0] <= '1970-01-01' -%}{{ return(none) }}{%- endif -%}
  {{ return(row[0]) }}
{%- endmacro %}


{% macro ip_hashes_stored() -%}
  {#- whether the warehouse holds ip hashes already (every one went through this table) -#}
  {%- if not ip_hash_table_exists('int_package_requests') -%}{{ return(false) }}{%- endif -%}
  {%- set rows = run_query(
      "select 1 from " ~ ip_hash_relation('int_package_requests') ~ " limit 1") -%}
  {{ return(rows | length > 0) }}
{%- endmacro %}


{% macro ip_hash_scheme_ddl() -%}
  create table if not exists {{ ip_hash_relation() }} (
      hmac_from date not null,
      state varchar(16) not null,
      changed_at timestamp not null
  )
{%- endmacro %}


{% macro ip_hash_scheme_setup() -%}
  {#- on-run-start: the scheme row exists (a warehouse that never had md5 gets
      1970-01-01), or the run stops: md5 hashes not migrated, or a migration interrupted. -#}
  {%- if execute and target.type in ('duckdb', 'postgres') -%}
    {%- set row = ip_hash_scheme_row() -%}
    {%- if row is none and ip_hashes_stored() -%}
      {{ exceptions.raise_compiler_error(
          "this warehouse's IP hashes are md5 (made before HMAC-SHA-256): run "
          ~ "`webstats migrate-ip-hash` once before building (docs/privacy.md)") }}
    {%- elif row is not none and row[1] != 'done' -%}
      {{ exceptions.raise_compiler_error(
          "an IP hash migration was interrupted: run `webstats migrate-ip-hash` again "
          ~ "(docs/privacy.md)") }}
    {%- endif -%}
    {{ ip_hash_scheme_ddl() }};
    insert into {{ ip_hash_relation() }} (hmac_from, state, changed_at)
    select date '1970-01-01', 'done', {{ utc_now() }}
    where not exists (select 1 from {{ ip_hash_relation() }})
  {%- endif -%}
{%- endmacro %}


{% macro ip_hash_stored_tables() -%}
  {#- the tables holding ip hashes, with the date that places a row in its year -#}
  {{ return([
      ('int_package_requests', 'request_date'),
      ('downloads', 'request_date'),
      ('int_package_period_ips', 'date'),
      ('int_category_period_ips', 'date'),
  ]) }}
{%- endmacro %}


{% macro ip_hash_migration_boundary(map_rel) -%}
  {#- The first year start from which every stored hash maps to an address still in the
      raw requests ('1970-01-01' when all do). Stops if none maps although raw rows are
      there: the secret is not the one the hashes were made with. -#}
  {%- set requests = ip_hash_relation('int_package_requests') -%}
  {%- set sql -%}
    select
        (select max(extract(year from r.request_date)) from {{ requests }} as r
         where r.ip_hash is not null
           and not exists (select 1 from {{ map_rel }} as m where m.old_hash = r.ip_hash)),
        (select count(*) from {{ map_rel }}),
        (select count(*) from {{ requests }} as r
         where exists (select 1 from {{ map_rel }} as m where m.old_hash = r.ip_hash))
  {%- endset -%}
  {%- set row = run_query(sql)[0] -%}
  {%- if row[1] | int > 0 and row[2] | int == 0 -%}
    {{ exceptions.raise_compiler_error(
        "no stored IP hash matches an address of the raw requests: WEBSTATS_IP_SALT is not "
        ~ "the secret this warehouse was built with (nothing changed)") }}
  {%- endif -%}
  {%- if row[0] is none -%}{{ return('1970-01-01') }}{%- endif -%}
  {{ return('%04d-01-01' % (row[0] | int + 1)) }}
{%- endmacro %}


{% macro migrate_ip_hash() -%}
  {#- `dbt run-operation migrate_ip_hash` (webstats migrate-ip-hash): see the top of this
      file. Idempotent: a migrated warehouse is left as it is; an interrupted one is
      finished (each update maps only hashes that are still md5). One transaction on
      PostgreSQL. Logs one line `ip_hash_migration {json}`. -#}
  {%- if target.type not in ('duckdb', 'postgres') -%}
    {{ exceptions.raise_compiler_error("migrate_ip_hash runs on DuckDB and PostgreSQL only") }}
  {%- endif -%}
  {%- set scheme = ip_hash_relation() -%}
  {%- set row = ip_hash_scheme_row() -%}
  {%- if row is not none and row[1] == 'done' -%}
    {%- do log("ip_hash_migration " ~ tojson({"changed": false, "hmac_from": row[0]}), info=True) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- do run_query(ip_hash_scheme_ddl()) -%}
  {%- if row is none and not ip_hashes_stored() -%}
    {%- do run_query("insert into " ~ scheme ~ " values (date '1970-01-01', 'done', "
        ~ utc_now() ~ ")") -%}
    {%- do ip_hash_commit() -%}
    {%- do log("ip_hash_migration " ~ tojson({"changed": false, "hmac_from": "1970-01-01"}),
        info=True) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set map_rel = 'ip_hash_map' -%}
  {%- do run_query("drop table if exists " ~ map_rel) -%}
  {%- do run_query(
      "create temporary table " ~ map_rel ~ " as select distinct "
      ~ ip_hash_md5('client_ip') ~ " as old_hash, " ~ ip_hash_hmac('client_ip')
      ~ " as new_hash from " ~ ip_hash_relation('raw_requests')
      ~ " where client_ip is not null") -%}
  {%- if row is none -%}
    {%- set hmac_from = ip_hash_migration_boundary(map_rel) -%}
    {%- do run_query("insert into " ~ scheme ~ " values (date '" ~ hmac_from
        ~ "', 'migrating', " ~ utc_now() ~ ")") -%}
  {%- else -%}
    {%- set hmac_from = row[0] -%}
  {%- endif -%}
  {%- set report = {"changed": true, "hmac_from": hmac_from} -%}
  {%- for table, date_col in ip_hash_stored_tables() -%}
    {%- set rel = ip_hash_relation(table) -%}
    {%- set where = date_col ~ " >= date '" ~ hmac_from ~ "'" -%}
    {%- do report.update({table: run_query(
        "select count(*) from " ~ rel ~ " where " ~ where)[0][0] | int}) -%}
    {%- do run_query("update " ~ rel ~ " as t set ip_hash = m.new_hash from " ~ map_rel
        ~ " as m where t.ip_hash = m.old_hash and t." ~ where) -%}
    {%- set left = run_query("select count(*) from " ~ rel ~ " where " ~ where
        ~ " and length(ip_hash) <> 64")[0][0] | int -%}
    {%- if left > 0 -%}
      {{ exceptions.raise_compiler_error(
          table ~ ": " ~ left ~ " hashes from " ~ hmac_from ~ " on have no address in the "
          ~ "raw requests; the migration stopped (run it again after checking them)") }}
    {%- endif -%}
  {%- endfor -%}
  {%- do run_query("update " ~ scheme ~ " set state = 'done', changed_at = " ~ utc_now()) -%}
  {%- do run_query("drop table " ~ map_rel) -%}
  {%- do ip_hash_commit() -%}
  {%- do log("ip_hash_migration " ~ tojson(report), info=True) -%}
{%- endmacro %}


{% macro ip_hash_commit() -%}
  {#- End run-operation's transaction: dbt-duckdb has one open (adapter.commit); on
      PostgreSQL dbt's connection does not know of the one the driver opened implicitly
      with the first statement, so it is committed in SQL. -#}
  {%- if target.type == 'postgres' -%}
    {%- do run_query('commit') -%}
  {%- else -%}
    {%- do adapter.commit() -%}
  {%- endif -%}
{%- endmacro %}
