{#-
  Athena: the raw layer is the CloudFront logs in S3, read in place.

    dbt run-operation create_cloudfront_table --target athena \
      --args '{location: "s3://bucket/cloudfront/"}'

  creates the external table `cloudfront_logs` (33-field standard logs, gzip, tab-separated)
  partitioned by the delivery date with partition projection (no MSCK/ALTER TABLE ADD
  PARTITION needed), over objects laid out as <location>/YYYY/MM/DD/..., and the view
  `raw_requests` with the columns of the local raw table, so the dbt models read one source
  on every engine. `file_id` is the delivery day as yyyymmdd: the incremental models then
  pick up whole new days (the nightly job runs after the day's logs are complete).
-#}
{% macro create_cloudfront_table(location, first_day='2013-01-01') %}
  {% set schema = target.schema %}
  {% set table_sql %}
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
  'storage.location.template' = '{{ location.rstrip("/") }}/${delivery_date}/'
)
  {% endset %}
  {% set view_sql %}
create or replace view {{ schema }}.raw_requests as
select
  cast(date_format("date", '%Y%m%d') as integer) as file_id,
  date_parse(cast("date" as varchar) || ' ' || "time", '%Y-%m-%d %H:%i:%s') as request_at,
  x_edge_location as edge_location,
  c_ip as client_ip,
  cs_method as method,
  cs_uri_stem as uri_stem,
  nullif(cs_uri_query, '-') as uri_query,
  sc_status as status,
  sc_bytes as bytes_sent,
  nullif(cs_user_agent, '-') as user_agent
from {{ schema }}.cloudfront_logs
  {% endset %}
  {% do run_query(table_sql) %}
  {% do run_query(view_sql) %}
  {% do log("created " ~ schema ~ ".cloudfront_logs and " ~ schema ~ ".raw_requests", info=True) %}
{% endmacro %}
