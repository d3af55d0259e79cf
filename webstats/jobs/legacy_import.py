"""`webstats import-legacy DIR`: the legacy site's history before the logs begin.

The static site published statistics since 2009, long before the logs we still have. Its
all-years `.tab` files (`<sub>/<pre>_stats.tab` per category, `<sub>/<pkg>/<pkg>_stats.tab`
per package) are read back into `legacy_stats` / `legacy_categorystats`, and the marts
include them for the years without computed data (models/marts/stats.sql,
macros/incremental/legacy_imports.sql).

Only whole years before the year of the first loaded log day are imported (all years when
nothing is loaded yet): a year is either imported or computed, never a mix, so its months
still add up to it. Rows with no downloads are not stored; the site writes missing months as
`0 0` anyway, which is what makes the round trip (export, import, export) byte-identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections import defaultdict
from pathlib import Path

from webstats.core.seeds import categories as seed_categories
from webstats.core.settings import Settings
from webstats.core.types import Period
from webstats.core.warehouse import Connection, connect, exists
from webstats.ingest.rawstore import create_raw_tables

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TAB_HEADER = "Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads"
COLUMNS = "category, package, date, is_monthly, ip_count, download_count"


class LegacyFormatError(ValueError):
    """A legacy file does not have the published format (reported with its path)."""


def parse_stats_tab(path: Path) -> list[Period]:
    """Rows of an all-years `_stats.tab` that have downloads; checks each year adds up."""
    lines = path.read_text().split("\n")
    if not lines or lines[0] != TAB_HEADER:
        raise LegacyFormatError(f"{path}: not a legacy _stats.tab file (header)")
    out: list[Period] = []
    month_sums: dict[int, int] = defaultdict(int)
    year_totals: dict[int, int] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        fields = line.split("\t")
        try:
            year, month, ips, downloads = int(fields[0]), fields[1], int(fields[2]), int(fields[3])
        except (ValueError, IndexError) as exc:
            raise LegacyFormatError(f"{path}:{n}: cannot read {line!r}") from exc
        if month == "all":
            date, monthly = dt.date(year, 12, 31), False
            year_totals[year] = downloads
        elif month in MONTHS:
            date, monthly = dt.date(year, MONTHS.index(month) + 1, 1), True
            month_sums[year] += downloads
        else:
            raise LegacyFormatError(f"{path}:{n}: unknown month {month!r}")
        if downloads or ips:
            out.append(Period(date, monthly, ips, downloads))
    for year, total in year_totals.items():
        if month_sums[year] != total:
            raise LegacyFormatError(
                f"{path}: {year} all line says {total} downloads, its months {month_sums[year]}"
            )
    return out


def read_site(site: Path, categories: list[dict[str, str]], before_year: int | None):
    """(package rows, category rows) from the site's all-years files, years < before_year."""

    def keep(p: Period) -> bool:
        return before_year is None or p.date.year < before_year

    pkg_rows: list[tuple] = []
    cat_rows: list[tuple] = []
    for c in categories:
        sub = site / c["web_subdir"]
        if not sub.is_dir():
            continue
        cat_file = sub / f"{c['file_prefix']}_stats.tab"
        if cat_file.is_file():
            cat_rows += [(c["category"], None, p) for p in parse_stats_tab(cat_file) if keep(p)]
        for pkg_dir in sorted(d for d in sub.iterdir() if d.is_dir()):
            tab = pkg_dir / f"{pkg_dir.name}_stats.tab"
            if tab.is_file():
                pkg_rows += [
                    (c["category"], pkg_dir.name, p) for p in parse_stats_tab(tab) if keep(p)
                ]
    check_category_sums(pkg_rows, cat_rows)
    return pkg_rows, cat_rows


def check_category_sums(pkg_rows: list[tuple], cat_rows: list[tuple]) -> None:
    """A category's downloads must be its packages' sum (the marts are tested for it)."""
    sums: dict[tuple, int] = defaultdict(int)
    for cat, _pkg, p in pkg_rows:
        sums[(cat, p.date, p.is_monthly)] += p.download_count
    have = {(cat, p.date, p.is_monthly): p.download_count for cat, _pkg, p in cat_rows}
    bad = [
        (k, have.get(k, 0), sums.get(k, 0))
        for k in sorted(set(sums) | set(have))
        if have.get(k, 0) != sums.get(k, 0)
    ]
    if bad:
        (cat, date, _), total, pkgs = bad[0]
        raise LegacyFormatError(
            f"category {cat} {date}: {total} downloads, but its packages' files add up to "
            f"{pkgs} ({len(bad)} such periods); is the site copy complete?"
        )


def _csv(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        for cat, pkg, p in rows:
            w.writerow(
                [
                    cat,
                    pkg or "",
                    p.date.isoformat(),
                    "true" if p.is_monthly else "false",
                    p.ip_count,
                    p.download_count,
                ]
            )


UPSERT = (
    "delete from {table} where exists (select 1 from legacy_incoming as i where {match})",
    "insert into {table} ({cols}, import_id) select {cols}, {import_id} from legacy_incoming",
)


def _statements(table: str, import_id: int, with_package: bool) -> list[str]:
    keys = ["category", "date", "is_monthly"] + (["package"] if with_package else [])
    match = " and ".join(f"i.{k} = {table}.{k}" for k in keys)
    cols = COLUMNS if with_package else COLUMNS.replace(" package,", "")
    return [s.format(table=table, match=match, cols=cols, import_id=import_id) for s in UPSERT]


def first_log_day(con: Connection) -> dt.date | None:
    row = con.execute(
        "select min(first_request_at) from load_ledger where loaded_count > 0"
    ).fetchone()
    return None if row is None or row[0] is None else row[0].date()


def _store(con: Connection, pkg_csv: Path, cat_csv: Path) -> tuple[int, int, int]:
    """Upsert both files into the legacy tables in one transaction: (import_id, rows, rows)."""
    create_raw_tables(con)
    with con.transaction():
        import_id = con.execute(
            "select coalesce(max(import_id), 0) + 1 from (select import_id from legacy_stats "
            "union all select import_id from legacy_categorystats) as ids"
        ).fetchone()[0]
        counts = []
        for table, f, with_pkg in (
            ("legacy_stats", pkg_csv, True),
            ("legacy_categorystats", cat_csv, False),
        ):
            con.execute("drop table if exists legacy_incoming")
            con.execute(
                "create temp table legacy_incoming (category varchar, package varchar, "
                "date date, is_monthly boolean, ip_count integer, download_count integer)"
            )
            if f.stat().st_size:
                con.copy_csv("legacy_incoming", f)
            if not with_pkg:
                con.execute("alter table legacy_incoming drop column package")
            for sql in _statements(table, import_id, with_pkg):
                con.execute(sql)
            counts.append(con.execute("select count(*) from legacy_incoming").fetchone()[0])
        con.execute("drop table if exists legacy_incoming")
    return import_id, counts[0], counts[1]


def cutoff_day(settings: Settings) -> dt.date | None:
    """The first loaded log day of the warehouse (None when nothing is loaded)."""
    if not exists(settings):
        return None
    with connect(settings, create_schema=True) as con:
        create_raw_tables(con)
        return first_log_day(con)


def import_site(settings: Settings, site: Path, before: dt.date | None = None) -> dict:
    """Read the site and store its rows in the raw legacy tables of `settings`."""
    if not site.is_dir():
        raise FileNotFoundError(f"no such directory: {site}")
    before = before or cutoff_day(settings)
    cats = seed_categories(settings.project_dir)
    pkg_rows, cat_rows = read_site(site, cats, before.year if before else None)
    if not pkg_rows and not cat_rows:
        raise LegacyFormatError(f"{site}: no legacy _stats.tab rows to import (before {before})")
    with tempfile.TemporaryDirectory(prefix="webstats-legacy-") as tmp:
        pkg_csv, cat_csv = Path(tmp) / "pkg.csv", Path(tmp) / "cat.csv"
        _csv(pkg_csv, pkg_rows)
        _csv(cat_csv, cat_rows)
        with connect(settings, create_schema=True) as con:
            import_id, n_pkg, n_cat = _store(con, pkg_csv, cat_csv)
    years = sorted({p.date.year for _c, _k, p in pkg_rows + cat_rows})
    return {
        "import_id": import_id,
        "package_rows": n_pkg,
        "category_rows": n_cat,
        "packages": len({(c, k) for c, k, _p in pkg_rows}),
        "first_year": years[0] if years else None,
        "last_year": years[-1] if years else None,
        "before": str(before) if before else None,
    }
