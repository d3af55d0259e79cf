{% macro raw_tables_ddl() -%}
{#- The tables Python writes and dbt reads as sources: the loaded log lines, the ledger of
    loaded files, the rejected lines (webstats load), the legacy site's statistics
    (webstats import-legacy), and the nightly job's freshness verdict. The one copy of their DDL: webstats/ingest/rawstore.py reads
    this macro's body as plain SQL, so it holds no Jinja and runs on DuckDB and PostgreSQL
    alike; dbt runs it at the start of every run (create_raw_tables), so that `dbt build`
    alone works on a fresh warehouse. -#}
create table if not exists raw_requests (
    file_id integer not null,
    request_at timestamp not null,
    edge_location varchar,
    client_ip varchar,
    method varchar,
    uri_stem varchar,
    uri_query varchar,
    status integer,
    bytes_sent bigint,
    user_agent varchar,
    -- the day of the request in the log's own time zone, where the log gives a local time
    -- with its offset (Apache, Squid, nginx, the legacy archive); null when the log is in
    -- UTC (CloudFront): the period a request counts in (docs/rules.md, periods)
    local_date date,
    -- the client's country (ISO 3166-1 alpha-2), looked up by the loader from client_ip
    -- before anything hashes it (webstats/ingest/geo.py); null when unknown, private or a
    -- documentation range (docs/dimensions.md)
    client_country varchar,
    -- the cloud provider whose published ranges hold client_ip (aws, azure, gcp, ...),
    -- looked up by the loader like the country (webstats/ingest/cloud.py); null for none
    client_network varchar
);
create table if not exists load_ledger (
    file_id integer primary key,
    file_name varchar not null,
    file_path varchar,
    content_sha256 varchar not null unique,
    log_format varchar not null,
    line_count integer not null,
    loaded_count integer not null,
    rejected_count integer not null,
    first_request_at timestamp,
    last_request_at timestamp,
    loaded_at timestamp not null,
    byte_count bigint
);
create table if not exists load_rejects (
    file_id integer not null,
    file_name varchar not null,
    line_number integer,
    reason varchar not null,
    line varchar
);
-- statistics imported from the legacy site, for the years before the first loaded log
-- day; empty unless imported (the marts read them always)
create table if not exists legacy_stats (
    category varchar not null,
    package varchar not null,
    date date not null,
    is_monthly boolean not null,
    ip_count integer not null,
    download_count integer not null,
    import_id integer not null
);
create table if not exists legacy_categorystats (
    category varchar not null,
    date date not null,
    is_monthly boolean not null,
    ip_count integer not null,
    download_count integer not null,
    import_id integer not null
);
-- the last verdict of `dbt source freshness` on raw_requests, one row, written by the
-- nightly job (webstats/jobs/freshness.py) and read by /api/status
create table if not exists source_freshness (
    source_table varchar not null,
    status varchar not null,
    max_loaded_at timestamp,
    age_seconds double precision,
    warn_after_hours integer,
    error_after_hours integer,
    error varchar,
    checked_at timestamp not null
);
{%- endmacro %}


{% macro create_raw_tables() -%}
  {#- on-run-start: the raw and legacy tables, created empty where missing, in the target
      schema, so that an analyst's first `dbt build` on a fresh DuckDB file or PostgreSQL
      schema runs (with nothing loaded the marts are empty; `webstats load` fills them).
      Athena reads its raw table from S3 (create_cloudfront_table): nothing to create. -#}
  {%- if target.type == 'postgres' -%}
    create schema if not exists {{ adapter.quote(target.schema) }};
    set search_path to {{ adapter.quote(target.schema) }};
    {{ raw_tables_ddl() }};
    reset search_path
  {%- elif target.type == 'duckdb' -%}
    {{ raw_tables_ddl() }}
  {%- endif -%}
{%- endmacro %}
