-- A category's downloads in a period are the sum of its packages' downloads.
with package_sums as (
    select category, date, is_monthly, sum(download_count) as total
    from {{ ref('stats') }}
    group by 1, 2, 3
)

select c.category, c.date, c.is_monthly, c.download_count, p.total
from {{ ref('categorystats') }} as c
full outer join package_sums as p
    on p.category = c.category and p.date = c.date and p.is_monthly = c.is_monthly
where coalesce(c.download_count, -1) <> coalesce(p.total, -1)
