-- The distinct (category, period, IP hash) triples of the downloads, monthly and yearly:
-- a category's ip_count in `categorystats` (an IP that fetched two of its packages counts
-- once). Incremental like int_package_period_ips (macros/incremental/period_ips.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=warehouse_indexes([{'columns': ['batch_file_id']}, {'columns': ['date']}]),
) }}

with {{ period_ips(['category']) }}

select
    category,
    date,
    is_monthly,
    ip_hash,
    batch_file_id
from unseen_period_ips
