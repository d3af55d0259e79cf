{#-
  Athena: the raw layer is the CloudFront logs in S3, read in place (docs/athena.md).

    dbt run-operation create_cloudfront_table --target athena \
      --args '{location: "s3://bucket/cloudfront/"}'

  creates the external table `cloudfront_logs` (33-field standard logs, gzip, tab-separated;
  files with fewer fields read the missing ones as null) partitioned by the delivery day
  with partition projection (no MSCK/ALTER TABLE ADD PARTITION), and the view
  `raw_requests` with the columns of the local raw table plus the partition column, so the
  dbt models read one source on every engine.

  The objects of a day are expected under <location>/YYYY/MM/DD/: the layout `webstats
  athena organize` makes from CloudFront's flat one, and the one standard logging v2 writes
  with the suffix path {DistributionId}/{yyyy}/{MM}/{dd} when `distribution` names the
  distribution (then <location>/<distribution>/YYYY/MM/DD/).

  `file_id` is the delivery day as yyyymmdd: the incremental models pick up whole new days,
  and the nightly build reads only the days past the last build
  (macros/athena/partition_window.sql).
-#}
{% macro create_cloudfront_table(location, first_day='2013-01-01', distribution=none) %}
  {% do run_query(cloudfront_logs_ddl(target.schema, location, first_day, distribution)) %}
  {% do run_query(raw_requests_view_ddl(target.schema)) %}
  {% do log("created " ~ target.schema ~ ".cloudfront_logs and " ~ target.schema ~ ".raw_requests", info=True) %}
{% endmacro %}

{% macro cloudfront_day_prefix(location, distribution=none) -%}
  {#- Where a delivery day's folders start: the table location, or its distribution folder. -#}
  {{ location.rstrip('/') }}/{% if distribution %}{{ distribution }}/{% endif %}
{%- endmacro %}

{% macro cloudfront_logs_ddl(schema, location, first_day='2013-01-01', distribution=none) -%}
create external table if not exists {{ schema }}.cloudfront_logs (
  `date` date, `time` string, x_edge_location string, sc_bytes bigint, c_ip string,
  cs_method string, cs_host string, cs_uri_stem string, sc_status int, cs_referer string,
  cs_user_agent string, cs_uri_query string, cs_cookie string, x_edge_result_type string,
  x_edge_request_id string, x_host_header string, cs_protocol string, cs_bytes bigint,
  time_taken float, x_forwarded_for string, ssl_protocol string, ssl_cipher string,
  x_edge_response_result_type string, cs_protocol_version string, fle_status string,
  fle_encrypted_fields int, c_port int, time_to_first_byte float,
  x_edge_detailed_result_type string, sc_content_type string, sc_content_len bigint,
  sc_range_start bigint, sc_range_end bigint
)
partitioned by (delivery_date string)
row format delimited fields terminated by '\t'
location '{{ location }}'
tblproperties (
  'skip.header.line.count' = '2',
  'projection.enabled' = 'true',
  'projection.delivery_date.type' = 'date',
  'projection.delivery_date.format' = 'yyyy/MM/dd',
  'projection.delivery_date.range' = '{{ first_day | replace("-", "/") }},NOW',
  'projection.delivery_date.interval' = '1',
  'projection.delivery_date.interval.unit' = 'DAYS',
  'storage.location.template' = '{{ cloudfront_day_prefix(location, distribution) }}${delivery_date}/'
)
{%- endmacro %}

{% macro raw_requests_view_ddl(schema) -%}
create or replace view {{ schema }}.raw_requests as
select
  cast(replace(delivery_date, '/', '') as integer) as file_id,
  date_parse(cast("date" as varchar) || ' ' || "time", '%Y-%m-%d %H:%i:%s') as request_at,
  x_edge_location as edge_location,
  c_ip as client_ip,
  cs_method as method,
  cs_uri_stem as uri_stem,
  nullif(cs_uri_query, '-') as uri_query,
  sc_status as status,
  sc_bytes as bytes_sent,
  nullif(cs_user_agent, '-') as user_agent,
  cast(null as date) as local_date,
  -- no client-country lookup on Athena (the loader makes it; docs/dimensions.md): unknown
  cast(null as varchar) as client_country,
  -- nor of the cloud provider's ranges (webstats/ingest/cloud.py): none
  cast(null as varchar) as client_network,
  delivery_date
from {{ schema }}.cloudfront_logs
{%- endmacro %}
