-- One row per counted download: the package-shaped requests whose package the manifest
-- lists under the requested category (int_package_requests decides; docs/rules.md).
-- Incremental: each run appends the downloads of the log files loaded since the previous
-- run (file ids only grow).
-- It is the permanent record: `--full-refresh` rebuilds the rollups from it but leaves it
-- alone (raw requests may have been pruned), unless `--vars '{rebuild_downloads: true}'`.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=(none if var('rebuild_downloads', false) else false),
    on_schema_change='append_new_columns',
    indexes=warehouse_indexes([{'columns': ['request_at']}, {'columns': ['file_id']}]),
) }}

with package_requests as (
    select * from {{ ref('int_package_requests') }}
    where {{ new_rows_filter('file_id', 'file_id') }}
),

counted as (
    select
        request_at,
        request_date,
        request_hour,
        period_date,
        ip_hash,
        status,
        category,
        package,
        package_version,
        bioc_version,
        download_type,
        edge_location,
        file_id,
        client,
        r_version,
        os,
        arch,
        client_country
    from package_requests
    where in_manifest
)

select * from counted
