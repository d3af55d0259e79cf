-- No category's statistics start before the project's first statistics year
-- (var stats_first_year, 2009: the first year the legacy site published).
select category, first_year
from {{ ref('categories') }}
where first_year < {{ var('stats_first_year') }}
