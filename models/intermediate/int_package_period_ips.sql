-- The distinct (package, period, IP hash) triples of the downloads, monthly and yearly:
-- a package's ip_count in `stats` is the number of its triples in the period. Incremental
-- (append): each run adds the triples of the newly loaded files not stored yet
-- (macros/incremental/period_ips.sql). Derived from `downloads`, so `--full-refresh` rebuilds it.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=warehouse_indexes([{'columns': ['batch_file_id']}, {'columns': ['date']}]),
) }}

with {{ period_ips(['category', 'package']) }}

select
    category,
    package,
    date,
    is_monthly,
    ip_hash,
    batch_file_id
from unseen_period_ips
