-- Downloads per UTC day, package and the client's dimensions (docs/rules.md, the client of
-- a download): client, R version, operating system, architecture, the client's country and
-- the country of the CDN edge that served it. For the API's breakdowns; the legacy tables
-- never read it. An unknown value is '' here (never null: the rows' key must compare
-- equal to itself, for delete+insert and for Athena's merge); the API answers null.
-- Incremental as hourly_downloads: a day's count is its stored count plus the downloads of
-- the log files loaded since the previous run (source_file_id is the watermark), and only
-- the days those touch are rewritten; the result equals a full build.
{%- set keys = [
    'download_date', 'category', 'package',
    'client', 'r_version', 'os', 'arch', 'country', 'edge_country',
] %}
{{ config(
    materialized='incremental',
    unique_key=keys,
    indexes=warehouse_indexes([{'columns': ['package', 'download_date']}, {'columns': ['download_date']}]),
) }}

with new_downloads as (
    select * from {{ ref('downloads') }}
    where {{ new_rows_filter('file_id') }}
),

edge_locations as (
    select * from {{ ref('edge_locations') }}
),

described as (
    -- an edge location is named by a nearby airport's IATA code and a number (IAD89-P1)
    select
        d.request_date as download_date,
        d.category,
        d.package,
        d.file_id,
        coalesce(d.client, '') as client,
        coalesce(d.r_version, '') as r_version,
        coalesce(d.os, '') as os,
        coalesce(d.arch, '') as arch,
        coalesce(d.client_country, '') as country,
        coalesce(e.country_code, '') as edge_country
    from new_downloads as d
    left join edge_locations as e
        on e.edge_code = substr(d.edge_location, 1, 3)
),

added as (
    select
        {{ keys | join(',\n        ') }},
        count(*) as downloads,
        max(file_id) as source_file_id
    from described
    group by {{ keys | join(', ') }}
),

stored as (
    {{ stored_rows(
        keys + ['downloads', 'source_file_id'],
        shaped_like='added',
        where='download_date >= (select min(download_date) from added)'
    ) }}
),

daily as (
    select
        {% for k in keys -%}
        a.{{ k }},
        {% endfor -%}
        a.downloads + coalesce(s.downloads, 0) as downloads,
        greatest(a.source_file_id, coalesce(s.source_file_id, 0)) as source_file_id
    from added as a
    left join stored as s
        on s.download_date = a.download_date
            and s.category = a.category
            and s.package = a.package
            and s.client = a.client
            and s.r_version = a.r_version
            and s.os = a.os
            and s.arch = a.arch
            and s.country = a.country
            and s.edge_country = a.edge_country
)

select
    {{ keys | join(',\n    ') }},
    cast(downloads as integer) as downloads,
    source_file_id
from daily
