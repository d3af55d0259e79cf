-- Downloads and distinct IPs per category over all its valid packages, per month and per
-- year (docs/rules.md, periods and distinct IPs); the same rollup and incremental rule as
-- stats (macros/incremental/period_rollup.sql).
{{ config(
    materialized='incremental',
    post_hook="{{ delete_shadowed_legacy_rows() }}",
    unique_key=['category', 'date', 'is_monthly'],
) }}

with {{ period_rollup(
    ['category'],
    ips=ref('int_category_period_ips'),
    legacy=ref('stg_legacy_categorystats')
) }}

select
    category,
    date,
    is_monthly,
    cast(ip_count as integer) as ip_count,
    cast(download_count as integer) as download_count,
    source_file_id,
    ips_batch_file_id
from periods
