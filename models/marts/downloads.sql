-- One row per counted download: a package-shaped request whose package the manifest lists
-- under the requested category. Incremental: each run appends the downloads of the log
-- files loaded since the previous run (file ids only grow).
-- It is the permanent record: `--full-refresh` rebuilds the rollups from it but leaves it
-- alone (raw requests may have been pruned), unless `--vars '{rebuild_downloads: true}'`.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=(none if var('rebuild_downloads', false) else false),
    indexes=warehouse_indexes([{'columns': ['request_at']}, {'columns': ['file_id']}]),
) }}

with package_requests as (
    select * from {{ ref('int_package_requests') }}
    where {{ new_rows_filter('file_id', 'file_id') }}
),

manifest as (
    select * from {{ ref('stg_packages') }}
),

valid_downloads as (
    select
        r.request_at,
        r.request_date,
        r.request_hour,
        r.ip_hash,
        r.status,
        r.category,
        r.package,
        r.package_version,
        r.bioc_version,
        r.download_type,
        r.edge_location,
        r.file_id
    from package_requests as r
    inner join manifest as m
        on m.package = r.package
       and m.category = r.category
)

select * from valid_downloads
