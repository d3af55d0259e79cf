"""Write mart tables with exactly the contract's columns (docs/warehouse.md) for renderer tests.

The renderer only reads `categories`, `stats`, `categorystats`, `package_scores` and
`webstats_info`; these helpers create them in an isolated DuckDB file or Postgres schema so
the renderer can be tested on hand-made data, independently of the pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from webstats.config import PROJECT_DIR, Settings

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DDL = {
    "categories": "category text, log_path text, web_subdir text, label text, "
    "file_prefix text, top_n integer, first_year integer, index_page text, sort_order integer",
    "stats": "category text, package text, date date, is_monthly boolean, ip_count bigint, "
    "download_count bigint",
    "categorystats": "category text, date date, is_monthly boolean, ip_count bigint, "
    "download_count bigint",
    "package_scores": "category text, package text, score bigint, rank bigint, "
    "in_release boolean, in_devel boolean",
    "webstats_info": "valid_thru date, as_of_date date, built_at timestamp, bioc_release text, "
    "bioc_devel text",
}


@dataclass
class Marts:
    """Rows per table, as tuples in DDL column order."""

    as_of: dt.date
    built_at: dt.datetime
    bioc_release: str = "3.18"
    bioc_devel: str = "3.19"
    stats: list[tuple] = field(default_factory=list)
    categorystats: list[tuple] = field(default_factory=list)
    package_scores: list[tuple] = field(default_factory=list)
    categories: list[tuple] | None = None


def seed_categories() -> list[tuple]:
    with open(PROJECT_DIR / "seeds" / "categories.csv", newline="") as fh:
        return [
            (
                r["category"], r["log_path"], r["web_subdir"], r["label"], r["file_prefix"],
                int(r["top_n"]) if r["top_n"] else None, int(r["first_year"]),
                r["index_page"], int(r["sort_order"]),
            )
            for r in csv.DictReader(fh)
        ]


def engine_for(settings: Settings) -> sa.Engine:
    if settings.target == "duckdb":
        return sa.create_engine(settings.sqlalchemy_url())
    return sa.create_engine(
        settings.sqlalchemy_url(), connect_args={"options": f"-csearch_path={settings.pg_schema}"}
    )


def write_marts(settings: Settings, marts: Marts) -> None:
    """(Re)create the five tables and fill them."""
    info = [(marts.as_of - dt.timedelta(days=1), marts.as_of, marts.built_at,
             marts.bioc_release, marts.bioc_devel)]
    tables = {
        "categories": marts.categories if marts.categories is not None else seed_categories(),
        "stats": marts.stats,
        "categorystats": marts.categorystats,
        "package_scores": marts.package_scores,
        "webstats_info": info,
    }
    engine = engine_for(settings)
    with engine.begin() as conn:
        for name, rows in tables.items():
            conn.execute(sa.text(f"drop table if exists {name}"))
            conn.execute(sa.text(f"create table {name} ({DDL[name]})"))
            if rows:
                cols = [c.split()[0] for c in DDL[name].split(", ")]
                marks = ", ".join(f":{c}" for c in cols)
                conn.execute(
                    sa.text(f"insert into {name} ({', '.join(cols)}) values ({marks})"),
                    # Reversed: the renderer must not depend on insertion order.
                    [dict(zip(cols, r, strict=True)) for r in reversed(rows)],
                )
    engine.dispose()


def periods_from_tab(path: Path) -> list[tuple[dt.date, bool, int, int]]:
    """Monthly and yearly rows read back from a legacy `*_stats.tab` (zero months dropped)."""
    out = []
    for line in path.read_text().splitlines()[1:]:
        year, month, ips, dls = line.split("\t")
        y, ip, dl = int(year), int(ips), int(dls)
        if month == "all":
            if ip or dl:
                out.append((dt.date(y, 12, 31), False, ip, dl))
        elif ip or dl:
            out.append((dt.date(y, MONTHS.index(month) + 1, 1), True, ip, dl))
    return out


def marts_from_legacy(expected: Path, manifest: Path) -> Marts:
    """The marts the legacy examples were generated from, read back from their .tab files.

    Lets the legacy golden test run on fixture tables before/besides the real pipeline. The
    release/devel flags follow SPEC 5.2 with release 3.18.
    """
    cats = seed_categories()
    marts = Marts(as_of=dt.date(2024, 2, 11), built_at=dt.datetime(2024, 2, 11, 0, 0, 0))
    man = {}
    with open(manifest, newline="") as fh:
        for r in csv.DictReader(fh):
            man[(r["category"], r["package"])] = (r["first_version"], r["last_version"])

    def ver(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v.split("."))

    for cat in cats:
        category, sub, pre = cat[0], cat[2], cat[4]
        d = expected / sub
        for p in periods_from_tab(d / f"{pre}_stats.tab"):
            marts.categorystats.append((category, *p))
        scores = {}
        for line in (d / f"{pre}_pkg_scores.tab").read_text().splitlines()[1:]:
            name, score = line.split("\t")
            scores[name] = int(score)
        ranked = sorted(scores, key=lambda n: (-scores[n], n.lower(), n))
        for rank, name in enumerate(ranked, 1):
            first, last = man[(category, name)]
            in_release = ver(first) <= ver("3.18") and (not last or ver(last) >= ver("3.18"))
            marts.package_scores.append(
                (category, name, scores[name], rank, in_release, not last)
            )
            for p in periods_from_tab(d / name / f"{name}_stats.tab"):
                marts.stats.append((category, name, *p))
    return marts
