-- A year's download_count is the sum of its months' (stats and categorystats).
with periods as (
    select category, package, date, is_monthly, download_count from {{ ref('stats') }}
    union all
    select category, '' as package, date, is_monthly, download_count from {{ ref('categorystats') }}
),

years as (
    select category, package, download_count, extract(year from date) as yr
    from periods
    where not is_monthly
),

month_sums as (
    select category, package, extract(year from date) as yr, sum(download_count) as total
    from periods
    where is_monthly
    group by 1, 2, 3
)

select y.*, m.total
from years as y
full outer join month_sums as m
    on m.category = y.category and m.package = y.package and m.yr = y.yr
where coalesce(y.download_count, -1) <> coalesce(m.total, -1)
