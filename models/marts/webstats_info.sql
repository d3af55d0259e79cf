-- One row describing the build: the days it covers and when it finished (the renderer
-- shows built_at as the generation time and keys its caches on it).
-- depends_on: {{ ref('stats') }}
-- depends_on: {{ ref('categorystats') }}
-- depends_on: {{ ref('package_scores') }}
-- depends_on: {{ ref('hourly_downloads') }}
with build_dates as (
    select * from {{ ref('int_build_dates') }}
)

select
    valid_thru,
    as_of_date,
    {{ utc_now() }} as built_at,
    cast('{{ var("bioc_release") }}' as varchar(16)) as bioc_release,
    cast('{{ var("bioc_devel") }}' as varchar(16)) as bioc_devel
from build_dates
