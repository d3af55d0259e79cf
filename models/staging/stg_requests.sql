-- Every logged request, typed: its UTC day and hour, the day of the period it counts in,
-- and the client IP replaced by its keyed hash, HMAC-SHA-256 (macros/cross_db/ip_hash.sql;
-- no raw IP leaves this model).
-- No request is selected or reshaped here: what counts as a download is decided in one
-- place, int_package_requests (docs/rules.md).
with raw_requests as (
    -- on Athena only the delivery days a build needs (macros/athena/partition_window.sql)
    select * from {{ source('raw', 'raw_requests') }}
    where {{ raw_partition_window() }}
),

typed as (
    select
        file_id,
        request_at,
        cast(request_at as date) as request_date,
        {{ hour_of('request_at') }} as request_hour,
        -- the period's day (docs/rules.md, periods): the local day the log wrote where it
        -- gave a local time with its offset, as the legacy generator counted; else UTC
        coalesce(local_date, cast(request_at as date)) as period_date,
        edge_location,
        {{ ip_hash("client_ip", "cast(request_at as date)") }} as ip_hash,
        method,
        status,
        uri_stem,
        uri_query,
        -- what the client says it is, the country the loader looked its address up in
        -- (null where unknown), and the cloud provider whose published ranges hold it (null
        -- for none); read by int_package_requests (docs/rules.md, client; likely automation)
        user_agent,
        client_country,
        client_network
    from raw_requests
)

select * from typed
