-- Per-package statistics imported from the legacy site (webstats import-legacy). The table
-- is optional: a warehouse that never imported (or Athena) gets an empty, typed relation.
{%- set relation = none -%}
{%- if execute -%}
{%- set src = source('legacy', 'legacy_stats') -%}
{%- set relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
{%- endif %}

{% if relation is not none -%}
select
    cast(category as varchar(32)) as category,
    cast(package as varchar(256)) as package,
    cast(date as date) as date,
    is_monthly,
    cast(ip_count as integer) as ip_count,
    cast(download_count as integer) as download_count,
    cast(import_id as integer) as import_id
from {{ source('legacy', 'legacy_stats') }}
{%- else -%}
select
    cast(null as varchar(32)) as category,
    cast(null as varchar(256)) as package,
    cast(null as date) as date,
    cast(null as boolean) as is_monthly,
    cast(null as integer) as ip_count,
    cast(null as integer) as download_count,
    cast(null as integer) as import_id
where 1 = 0
{%- endif %}
