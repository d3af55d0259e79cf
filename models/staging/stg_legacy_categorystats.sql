-- Per-category statistics imported from the legacy site (webstats import-legacy); an empty,
-- typed relation when the table does not exist.
{# `webstats load` creates the table (empty) on DuckDB and PostgreSQL; Athena has
    no import, and deciding by target type keeps compilation free of introspection. #}

{% if target.type != 'athena' -%}
select
    cast(category as varchar(32)) as category,
    cast(date as date) as date,
    is_monthly,
    cast(ip_count as integer) as ip_count,
    cast(download_count as integer) as download_count,
    cast(import_id as integer) as import_id
from {{ source('legacy', 'legacy_categorystats') }}
{% else %}
select
    cast(null as varchar(32)) as category,
    cast(null as date) as date,
    cast(null as boolean) as is_monthly,
    cast(null as integer) as ip_count,
    cast(null as integer) as download_count,
    cast(null as integer) as import_id
where 1 = 0
{% endif %}
