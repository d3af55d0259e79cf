-- Every counted download is of a package the manifest lists under that category
-- (an incremental build checks the downloads past the last complete build's mark:
-- macros/checks/last_build_mark.sql).
select d.category, d.package, count(*) as n
from {{ ref('downloads') }} as d
left join {{ ref('packages') }} as m
    on m.package = d.package and m.category = d.category
where m.package is null
    and {{ rows_since_last_build('d.file_id') }}
group by 1, 2
