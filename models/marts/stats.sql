-- Downloads and distinct IPs per package, per month and per year (docs/rules.md, periods
-- and distinct IPs); the shared rollup and its incremental rule are in
-- macros/incremental/period_rollup.sql.
{{ config(
    materialized='incremental',
    post_hook="{{ delete_shadowed_legacy_rows() }}",
    unique_key=['category', 'package', 'date', 'is_monthly'],
    indexes=warehouse_indexes([{'columns': ['package', 'date']}]),
) }}

with {{ period_rollup(
    ['category', 'package'],
    ips=ref('int_package_period_ips'),
    legacy=ref('stg_legacy_stats')
) }}

select
    category,
    package,
    date,
    is_monthly,
    cast(ip_count as integer) as ip_count,
    cast(download_count as integer) as download_count,
    source_file_id,
    ips_batch_file_id
from periods
