"""Every SQL statement the legacy pages run, and nothing else.

The marts already hold the rules (what a download is, the score, the ranks, release
membership); these queries only fetch rows. Results that are small and reused by many pages
(the categories, the per-category score tables) are memoised on the Snapshot, so they are
read once per build. Per-package rows are fetched on demand: keeping every package's rows in
memory would cost far more than one indexed lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from renderer.snapshot import Snapshot
from webstats.core.types import Period


@dataclass(frozen=True)
class Category:
    """One row of the `categories` seed (docs/rules.md, categories)."""

    category: str
    log_path: str
    web_subdir: str
    label: str
    file_prefix: str
    top_n: int | None
    first_year: int
    index_page: str
    sort_order: int


@dataclass(frozen=True)
class Score:
    """One row of `package_scores`."""

    package: str
    score: int
    rank: int
    in_release: bool
    in_devel: bool


def _date(value) -> dt.date:
    """Engines return dates as date or datetime; pages only need the day."""
    return value.date() if isinstance(value, dt.datetime) else value


def _int(value) -> int:
    return 0 if value is None else int(value)


def _periods(rows: Iterable) -> list[Period]:
    return [Period(_date(r[0]), bool(r[1]), _int(r[2]), _int(r[3])) for r in rows]


def categories(snap: Snapshot) -> list[Category]:
    """The categories in page order; read from the seed table, never hard-coded."""

    def load() -> list[Category]:
        rows = snap.rows(
            "select category, log_path, web_subdir, label, file_prefix, top_n, first_year, "
            "index_page, sort_order from categories order by sort_order, category"
        )
        return [
            Category(
                str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
                None if r[5] is None or r[5] == "" else int(r[5]),
                int(r[6]), str(r[7]), int(r[8]),
            )
            for r in rows
        ]

    return snap.cached(("categories",), load)


def category_periods(snap: Snapshot, category: str) -> list[Period]:
    """All monthly and yearly rows of one category, oldest first."""
    return snap.cached(
        ("category_periods", category),
        lambda: _periods(
            snap.rows(
                "select date, is_monthly, ip_count, download_count from categorystats "
                "where category = :c order by date, is_monthly",
                {"c": category},
            )
        ),
    )


def package_periods(snap: Snapshot, category: str, package: str) -> list[Period]:
    """All monthly and yearly rows of one package, oldest first (not memoised: see module)."""
    return _periods(
        snap.rows(
            "select date, is_monthly, ip_count, download_count from stats "
            "where category = :c and package = :p order by date, is_monthly",
            {"c": category, "p": package},
        )
    )


def packages_periods(
    snap: Snapshot, category: str, packages: Sequence[str]
) -> dict[str, list[Period]]:
    """Rows of several packages at once, oldest first per package (for `<pre>_pkg_stats.tab`,
    asked in batches so that a category's 700k rows are never all in memory together)."""
    if not packages:
        return {}
    stmt = sa.text(
        "select package, date, is_monthly, ip_count, download_count from stats "
        "where category = :c and package in :ps order by package, date, is_monthly"
    ).bindparams(sa.bindparam("ps", expanding=True))
    out: dict[str, list[Period]] = {p: [] for p in packages}
    with snap.engine.connect() as conn:
        for r in conn.execute(stmt, {"c": category, "ps": list(packages)}):
            out[str(r[0])].append(Period(_date(r[1]), bool(r[2]), _int(r[3]), _int(r[4])))
    return out


def scores(snap: Snapshot, category: str) -> dict[str, Score]:
    """Every package of the category that ever had a download, by name."""

    def load() -> dict[str, Score]:
        rows = snap.rows(
            "select package, score, rank, in_release, in_devel from package_scores "
            "where category = :c",
            {"c": category},
        )
        return {
            str(r[0]): Score(str(r[0]), _int(r[1]), _int(r[2]), bool(r[3]), bool(r[4]))
            for r in rows
        }

    return snap.cached(("scores", category), load)
