-- The repository categories (docs/rules.md, categories), one row each.
with categories as (
    select * from {{ ref('categories') }}
)

select
    category,
    log_path,
    web_subdir,
    label,
    file_prefix,
    top_n,
    first_year,
    index_page,
    sort_order
from categories
