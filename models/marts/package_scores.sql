-- Download score per package (docs/rules.md, the download score): the monthly distinct-IP
-- counts of the 12 complete months before the as-of month, summed, divided by 12 and
-- rounded up. Every package that
-- ever had a download in the category has a score; rank 1 is the highest score (ties in
-- case-insensitive name order). Also whether the manifest puts the package in the current
-- release and devel, for the home-page links.
with stats as (
    select * from {{ ref('stats') }}
),

build_dates as (
    select * from {{ ref('int_build_dates') }}
),

manifest as (
    select * from {{ ref('stg_packages') }}
),

score_window as (
    select
        cast({{ dbt.dateadd('month', -12, month_start('as_of_date')) }} as date) as first_month,
        {{ month_start('as_of_date') }} as as_of_month
    from build_dates
),

packages_with_downloads as (
    select distinct category, package
    from stats
),

window_ips as (
    select s.category, s.package, sum(s.ip_count) as ip_sum
    from stats as s
    cross join score_window as w
    where s.is_monthly
        and s.date >= w.first_month
        and s.date < w.as_of_month
    group by s.category, s.package
),

scores as (
    select
        p.category,
        p.package,
        cast(ceil(coalesce(i.ip_sum, 0) / 12.0) as integer) as score
    from packages_with_downloads as p
    left join window_ips as i
        on i.category = p.category
            and i.package = p.package
),

ranked as (
    select
        s.category,
        s.package,
        s.score,
        cast(row_number() over (
            partition by s.category
            order by s.score desc, lower(s.package) asc, s.package asc
        ) as integer) as rank,
        coalesce(
            m.first_version_key <= {{ version_key("'" ~ var('bioc_release') ~ "'") }}
            and (
                m.last_version_key is null
                or m.last_version_key >= {{ version_key("'" ~ var('bioc_release') ~ "'") }}
            ),
            false
        ) as in_release,
        coalesce(m.package is not null and m.last_version_key is null, false) as in_devel
    from scores as s
    left join manifest as m
        on m.package = s.package
            and m.category = s.category
)

select * from ranked
