"""Synthetic marts at realistic size for the benchmarks (bench_api.py, bench_renderer.py).

`synthesise(db)` writes, in SQL, every table the renderer and the API read (docs/warehouse.md):

- `categories`: the seed rows (`seeds/categories.csv`);
- `packages`: the manifest, 3,700 packages split over the categories roughly as Bioconductor
  is (2,300 software, 950 annotation, 420 experiment, 30 workflows); names mix case, digits
  and dots like real ones (`package_name(i)`);
- `stats`: each package active from a random year between its category's first year and 2025
  up to `VALID_THRU`, with downloads in ~90% of the months (monthly rows, plus yearly rows on
  31 Dec); ~350,000 rows, which makes `bioc_pkg_stats.tab` a few MB as in production;
- `categorystats`, `package_scores` (rank by the last 12 months of IPs), `webstats_info`;
- `hourly_downloads`: two years (6 M draws, grouped), popularity skewed so that package `i` is
  drawn with probability ~ 1/sqrt(i); 15 years of hourly rows would take far longer to
  generate than the API cost they measure, and no endpoint reads more than 18 months at once;
- `minute_downloads`: two weeks of downloads per minute (150,000 downloads a day), for the
  local-hour endpoint;
- `daily_package_downloads`, `daily_downloads` and `log_coverage` (every day complete) from
  `hourly_downloads`, `countries` (the seed) and an empty `source_freshness`.

The tables are then published as the site file the renderer reads
(webstats/core/site_file.py), as a build does.

Generation takes about 15-20 s on 2 CPUs.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb

from webstats.core.site_file import publish, site_path

ROOT = Path(__file__).resolve().parent.parent
VALID_THRU = dt.date(2025, 6, 30)
AS_OF = VALID_THRU + dt.timedelta(days=1)
SPLIT = {"bioc": 2300, "annotation": 950, "experiment": 420, "workflows": 30}
N_PACKAGES = sum(SPLIT.values())
# package i is PREFIXES[i % 4] followed by i on four digits: pkg0000, Pkg0001, BSgenome.X0002
PREFIXES = ("pkg", "Pkg", "BSgenome.X", "org.Hs")
HOURLY_ROWS = 6_000_000
DAILY_DOWNLOADS = 150_000
DOWNLOAD_DAYS = 14


def package_name(i: int) -> str:
    """The name of package `i` (0 = the most downloaded in `hourly_downloads`)."""
    return f"{PREFIXES[i % len(PREFIXES)]}{i:04d}"


def synthesise(db: Path) -> None:
    """Write the marts the renderer and the API read, with realistic sizes, into `db`.

    One seeded random stream, drawn in this order, so a run always writes the same rows.
    """
    con = duckdb.connect(str(db))
    con.execute("set enable_progress_bar = false")
    con.execute("select setseed(0.42)")
    from webstats.core.seeds import categories_path

    seeds = categories_path(ROOT)
    con.execute(f"create table categories as select * from read_csv_auto('{seeds}', header=true)")
    countries = ROOT / "seeds" / "countries.csv"
    con.execute(
        f"create table countries as select * from read_csv('{countries}', header=true, "
        "all_varchar=true)"
    )
    _packages(con)
    _periods(con)
    _activity(con)
    con.execute(f"""
        create table webstats_info as
        select date '{VALID_THRU}' as valid_thru, date '{AS_OF}' as as_of_date,
               now()::timestamp as built_at, '3.21' as bioc_release, '3.22' as bioc_devel""")
    _coverage(con)
    con.execute("drop table pkgs")
    publish(con)
    con.close()


def _packages(con: duckdb.DuckDBPyConnection) -> None:
    """`pkgs` (temp) and `packages`: one row per package."""
    # pkgs: one row per package; i orders both the category split and the popularity
    bounds, upto = [], 0
    for category, n in SPLIT.items():
        upto += n
        bounds.append(f"when i < {upto} then '{category}'")
    prefixes = ", ".join(f"'{p}'" for p in PREFIXES)
    con.execute(f"""
        create temp table pkgs as
        with numbered as (
            select i, case {" ".join(bounds)} end as category from range({N_PACKAGES}) t(i)
        )
        select n.i, n.category,
               [{prefixes}][1 + i % {len(PREFIXES)}] || lpad(i::varchar, 4, '0') as package,
               greatest(c.first_year, 2009 + (random() * 16)::int) as start_year,
               (random() * 300 + 5)::int as base
        from numbered n join categories c using (category)
        order by i""")
    con.execute("""
        create table packages as
        select package, category, '3.0' as first_version, '' as last_version
        from pkgs order by i""")


def _periods(con: duckdb.DuckDBPyConnection) -> None:
    """`stats`, `categorystats` and `package_scores`."""
    con.execute(f"""
        create table stats as
        with months as (
            select p.category, p.package, p.base, m::date as date
            from pkgs p,
                 generate_series(make_date(p.start_year, 1, 1), date '{VALID_THRU}',
                                 interval 1 month) t(m)
            where random() < 0.9
        ),
        monthly as (
            select category, package, date, true as is_monthly,
                   (base * (0.5 + random()))::bigint as ip_count,
                   (base * (1.5 + 2 * random()))::bigint as download_count
            from months
        )
        select * from monthly
        union all
        select category, package, make_date(year(date), 12, 31), false,
               (sum(ip_count) * 0.7)::bigint, sum(download_count)::bigint
        from monthly group by category, package, year(date)""")
    con.execute("""
        create table categorystats as
        select category, date, is_monthly, (sum(ip_count) * 0.8)::bigint as ip_count,
               sum(download_count)::bigint as download_count
        from stats group by category, date, is_monthly""")
    con.execute(f"""
        create table package_scores as
        with s as (
            select p.category, p.package,
                   coalesce(ceil(sum(st.ip_count) / 12.0), 0)::bigint as score
            from pkgs p left join stats st
              on st.category = p.category and st.package = p.package and st.is_monthly
             and st.date >= date '{AS_OF}' - interval 12 month
            group by p.category, p.package
        )
        select category, package, score,
               row_number() over (partition by category
                                  order by score desc, lower(package), package) as rank,
               random() < 0.8 as in_release, random() < 0.85 as in_devel
        from s""")


def _activity(con: duckdb.DuckDBPyConnection) -> None:
    """`hourly_downloads` over two years and `minute_downloads` over the last days."""
    # popularity is skewed: package i is drawn with probability ~ 1/sqrt(i)
    start_hour = dt.datetime.combine(VALID_THRU - dt.timedelta(days=729), dt.time())
    con.execute(f"""
        create table hourly_downloads as
        select timestamp '{start_hour}' + to_hours((h.i * 17520 // {HOURLY_ROWS})::bigint)
                   as hour_at,
               p.category, p.package,
               ['3.19', '3.20', '3.21', 'release', 'devel'][1 + (h.i % 5)] as bioc_version,
               ['source', 'win.binary', 'mac.binary', 'other'][1 + ((h.i // 5) % 4)]
                   as download_type,
               sum(1 + (h.i % 7))::bigint as downloads
        from (select i, floor({N_PACKAGES} * pow(random(), 2))::bigint as k
              from range({HOURLY_ROWS}) t(i)) h
        join pkgs p on p.i = h.k
        group by all
        order by hour_at""")
    first_day = VALID_THRU - dt.timedelta(days=DOWNLOAD_DAYS - 1)
    con.execute(f"""
        create table minute_downloads as
        select date_trunc('minute', timestamp '{first_day}' +
                   to_seconds((random() * 86400 * {DOWNLOAD_DAYS})::bigint)) as minute_at,
               count(*)::integer as downloads
        from range({DAILY_DOWNLOADS * DOWNLOAD_DAYS}) t(i)
        group by 1
        order by 1""")


def _coverage(con: duckdb.DuckDBPyConnection) -> None:
    """`daily_package_downloads`, `daily_downloads` (every download a person's, no
    dimension known), `log_coverage` (every day of `hourly_downloads` complete)
    and an empty `source_freshness`, as the marts and the raw layer define them."""
    con.execute("""
        create table daily_package_downloads as
        select cast(hour_at as date) as download_date, category, package,
               sum(downloads)::integer as downloads,
               (sum(downloads) * 0.6)::integer as distinct_ips, 1 as source_file_id
        from hourly_downloads group by all order by all""")
    con.execute("""
        create table daily_downloads as
        select download_date, category, package, '' as client, '' as r_version, '' as os,
               '' as arch, '' as country, '' as edge_country, '' as automation_reason,
               'rules 1' as automation_rules_version, downloads, source_file_id
        from daily_package_downloads order by all""")
    con.execute("""
        create table log_coverage as
        select cast(hour_at as date) as log_date, 24 as log_files,
               (sum(downloads) * 10)::bigint as line_count,
               min(hour_at) as first_request_at,
               max(hour_at) + interval 59 minute as last_request_at,
               count(distinct hour_at)::integer as hours_with_requests,
               true as is_complete, 1 as source_file_id
        from hourly_downloads group by 1 order by 1""")
    con.execute("""
        create table source_freshness (
            source_table varchar not null, status varchar not null,
            max_loaded_at timestamp, age_seconds double, warn_after_hours integer,
            error_after_hours integer, error varchar, checked_at timestamp not null)""")


def ensure(db: Path) -> float | None:
    """Synthesise `db` unless it exists; the seconds it took, or None when it existed."""
    if db.exists() and site_path(db).exists():
        return None
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    synthesise(db)
    return time.perf_counter() - t0


def table_sizes(db: Path, tables: tuple[str, ...]) -> dict[str, int]:
    """Row counts of `tables` in `db`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        con.close()
