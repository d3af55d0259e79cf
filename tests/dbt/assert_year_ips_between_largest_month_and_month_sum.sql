-- A year's distinct IPs are at least its largest month's and at most the sum of its months'.
with periods as (
    select category, package, date, is_monthly, ip_count from {{ ref('stats') }}
    union all
    select category, '' as package, date, is_monthly, ip_count from {{ ref('categorystats') }}
),

month_bounds as (
    select
        category,
        package,
        extract(year from date) as yr,
        max(ip_count) as largest,
        sum(ip_count) as total
    from periods
    where is_monthly
    group by 1, 2, 3
),

years as (
    select category, package, ip_count, extract(year from date) as yr
    from periods
    where not is_monthly
)

select y.*, b.largest, b.total
from years as y
inner join month_bounds as b
    on b.category = y.category and b.package = y.package and b.yr = y.yr
where y.ip_count < b.largest or y.ip_count > b.total
