-- The package manifest with its versions as comparable numbers.
with packages as (
    select * from {{ ref('packages') }}
),

keyed as (
    select
        package,
        category,
        first_version,
        nullif(last_version, '') as last_version,
        {{ version_key('first_version') }} as first_version_key,
        case
            when nullif(last_version, '') is not null then {{ version_key('last_version') }}
        end as last_version_key
    from packages
)

select * from keyed
