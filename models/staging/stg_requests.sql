-- Every logged request, typed and normalised: the path without its query string and with
-- runs of '/' collapsed to one, the client IP replaced by its salted hash.
with raw_requests as (
    select * from {{ source('raw', 'raw_requests') }}
),

normalised as (
    select
        file_id,
        request_at,
        cast(request_at as date) as request_date,
        {{ hour_of('request_at') }} as request_hour,
        edge_location,
        {{ ip_hash('client_ip') }} as ip_hash,
        upper(method) as method,
        status,
        case
            -- the regular expression only where there is something to collapse
            when uri_stem like '%//%'
                then {{ regex_replace_all(dbt.split_part('uri_stem', "'?'", 1), '/+', '/') }}
            else {{ dbt.split_part('uri_stem', "'?'", 1) }}
        end as uri_path
    from raw_requests
)

select * from normalised
