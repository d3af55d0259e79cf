-- Every counted download is of a package the manifest lists under that category.
select d.category, d.package, count(*) as n
from {{ ref('downloads') }} as d
left join {{ ref('packages') }} as m
    on m.package = d.package and m.category = d.category
where m.package is null
group by 1, 2
