"""Every SQL statement the JSON API runs, and nothing else.

Request values never reach SQL text: values are bound parameters, and the only pieces of SQL
chosen by a request (a grouping column, a time bucket) are looked up by key in the allow-lists
below, whose values are fixed strings written here. Sorting and formatting happen in Python so
that DuckDB and PostgreSQL (whose collations differ) give byte-identical answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from renderer.snapshot import Snapshot

# model name (request) -> (table, count column) it reads. `hourly` and `hourly_download_data`
# are the arXiv dashboard's own names for the same model (SPEC 6): its frontend sends them.
MODELS: dict[str, tuple[str, str]] = {
    "downloads": ("hourly_downloads", "downloads"),
    "hourly": ("hourly_downloads", "downloads"),
    "hourly_download_data": ("hourly_downloads", "downloads"),
}

# grouping column (request) -> SQL expression over hourly_downloads. `archive` is the arXiv
# dashboard's word for our category (the answer keeps the name asked for).
HOURLY_COLUMNS: dict[str, str] = {
    "category": "category",
    "archive": "category",
    "package": "package",
    "bioc_version": "bioc_version",
    "download_type": "download_type",
}

# The client's dimensions (docs/rules.md, the client of a download) and the likely
# automation's reason (null: people; docs/rules.md, likely automation): columns of the daily
# mart `daily_downloads` only, where '' is unknown or none (answered as null). `country` and
# `edge_country` are ISO codes there, answered as English names (seed `countries`).
DIMENSIONS: dict[str, str] = {
    name: f"nullif({name}, '')"
    for name in (
        "client", "r_version", "os", "arch", "country", "edge_country", "automation_reason"
    )
}
COUNTRY_COLUMNS = ("country", "edge_country")
DAILY_COLUMNS: dict[str, str] = {
    "category": "category",
    "archive": "category",
    "package": "package",
    **DIMENSIONS,
}

#: every grouping column get_data accepts (the allow-list)
GROUP_COLUMNS: dict[str, str] = {**HOURLY_COLUMNS, **DIMENSIONS}

# time bucket (request) -> SQL expression over the UTC hour.
TIME_BUCKETS: dict[str, str] = {
    "year": "date_trunc('year', hour_at)",
    "month": "date_trunc('month', hour_at)",
    "day": "date_trunc('day', hour_at)",
    "hour": "hour_at",
}
# ... and over the UTC day of daily_downloads (no hours there)
DAILY_BUCKETS: dict[str, str] = {
    "year": "date_trunc('year', download_date)",
    "month": "date_trunc('month', download_date)",
    "day": "download_date",
}


@dataclass(frozen=True)
class Source:
    """The table a get_data request reads: the hourly mart, unless it groups or filters by a
    client dimension (then the daily mart, which has them)."""

    table: str
    columns: dict[str, str]
    buckets: dict[str, str]


HOURLY = Source("hourly_downloads", HOURLY_COLUMNS, TIME_BUCKETS)
DAILY = Source("daily_downloads", DAILY_COLUMNS, DAILY_BUCKETS)


def source_for(columns: Sequence[str], filters: dict[str, str]) -> Source | None:
    """Where `columns` and `filters` can be answered; None when they cannot be together
    (a client dimension with bioc_version or download_type, which the daily mart lacks)."""
    if not filters and not any(c in DIMENSIONS for c in columns):
        return HOURLY
    return DAILY if all(c in DAILY_COLUMNS for c in columns) else None


#: `filter=people`: the downloads nothing flags as likely automation ('' in the daily mart)
PEOPLE = "people"


def _filter_conditions(filters: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Conditions over the daily mart's columns (names from DIMENSIONS only, and
    `filter=people`: automation_reason = '') and their bound values."""
    names = sorted(n for n in filters if n in DIMENSIONS)
    parts = [f"{name} = :f_{name}" for name in names]
    if filters.get("filter") == PEOPLE:
        parts.append("automation_reason = ''")
    return parts, {f"f_{n}": filters[n] for n in names}


def _filter_sql(filters: dict[str, str]) -> tuple[str, dict[str, str]]:
    """`where` text of `_filter_conditions` (empty without filters) and its bound values."""
    parts, params = _filter_conditions(filters)
    return (" where " + " and ".join(parts) if parts else ""), params


def _and_filters(filters: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """`_filter_conditions` as text to append to a `where` (starting with ` and `)."""
    parts, params = _filter_conditions(filters or {})
    return "".join(f" and {p}" for p in parts), params


def country_names(snap: Snapshot) -> dict[str, str]:
    """ISO alpha-2 code -> English name (the `countries` seed), read once per build."""
    return snap.cached(
        ("api", "country_names"),
        lambda: {r[0]: r[1] for r in snap.rows("select country_code, country_name from countries")},
    )


def _int(value: Any) -> int:
    """PostgreSQL returns sums as Decimal; the API speaks plain integers."""
    return int(value or 0)


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    """date_trunc gives a date on some engine/type pairs and a timestamp on others."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def grouped_counts(
    snap: Snapshot,
    model: str,
    columns: Sequence[str],
    time_group: str | None,
    filters: dict[str, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Download counts per (time bucket?, *columns); keys must come from the allow-lists,
    and `source_for` must have accepted the columns and filters.

    Returns tuples `(bucket, value1[, value2], count)` where bucket is None without a
    time_group; country codes become English names. Sorted by bucket then values (None
    last), so output order is engine-free.
    """
    filters = filters or {}
    _, measure = MODELS[model]
    src = source_for(columns, filters) or HOURLY
    exprs = [src.columns[c] for c in columns]
    bucket = src.buckets[time_group] if time_group else "cast(null as timestamp)"
    select = ", ".join([bucket, *exprs])
    positions = ", ".join(str(i + 1) for i in range(len(exprs) + 1))
    where, params = _filter_sql(filters)
    sql = f"select {select}, sum({measure}) from {src.table}{where} group by {positions}"
    rows = snap.rows(sql, params)
    names = country_names(snap) if any(c in COUNTRY_COLUMNS for c in columns) else {}
    named = [i + 1 for i, c in enumerate(columns) if c in COUNTRY_COLUMNS]
    buckets: dict[Any, dt.datetime | None] = {}  # few distinct buckets, many rows
    out = []
    for r in rows:
        if r[0] not in buckets:
            buckets[r[0]] = None if r[0] is None else _as_datetime(r[0])
        values = list(r[1:-1])
        for i in named:
            code = values[i - 1]
            values[i - 1] = None if code is None else names.get(code, code)
        out.append((buckets[r[0]], *values, _int(r[-1])))
    out.sort(key=_sort_key)
    return out


def grouped_count(
    snap: Snapshot,
    model: str,
    columns: Sequence[str],
    time_group: str | None,
    run: Callable[[Callable[[], int]], int] = lambda f: f(),
    filters: dict[str, str] | None = None,
) -> int:
    """How many rows `grouped_counts` would return (counted through `run` once per build and
    grouping): the API refuses groupings too large to answer before computing them."""
    filters = filters or {}
    src = source_for(columns, filters) or HOURLY
    exprs = [src.columns[c] for c in columns]
    if time_group:
        exprs.insert(0, src.buckets[time_group])
    positions = ", ".join(str(i + 1) for i in range(len(exprs)))
    where, params = _filter_sql(filters)
    inner = f"select {', '.join(exprs)} from {src.table}{where} group by {positions}"
    sql = f"select count(*) from ({inner}) g"
    chosen = tuple(sorted(filters.items()))
    key = ("api", "grouped_count", model, tuple(columns), time_group, chosen)
    return snap.cached(key, lambda: run(lambda: _int(snap.rows(sql, params)[0][0])))


def breakdown(
    snap: Snapshot,
    packages: Sequence[str],
    start: dt.date,
    end: dt.date,
    by: str,
    filters: dict[str, str] | None = None,
) -> dict[str, list[tuple[str | None, int]]]:
    """Downloads of each package in [start, end] (UTC days) per value of the client
    dimension `by` (a DIMENSIONS key), most downloaded first, then by value (None last);
    countries by English name. The packages' days of the daily mart: bounded by the period
    and the number of packages (at most BULK_MAX)."""
    placeholders, params = _in_list(packages)
    more, bound = _and_filters(filters)
    rows = snap.rows(
        f"select package, {DIMENSIONS[by]}, sum(downloads) from daily_downloads "
        f"where package in ({placeholders}) and download_date >= :start "
        f"and download_date <= :end{more} group by 1, 2",
        {**params, **bound, "start": start, "end": end},
    )
    names = country_names(snap) if by in COUNTRY_COLUMNS else {}
    out: dict[str, list[tuple[str | None, int]]] = {name: [] for name in packages}
    for package, value, n in rows:
        out[package].append((names.get(value, value) if value is not None else None, _int(n)))
    for entries in out.values():
        entries.sort(key=lambda r: (-r[1], r[0] is None, r[0] or ""))
    return out


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Nulls last, then natural order of each key column; the count is not a key."""
    return tuple((v is None, v if v is not None else "") for v in row[:-1])


def global_sums(snap: Snapshot, model: str, time_group: str) -> list[tuple[dt.datetime, int]]:
    """Total downloads per time bucket, oldest first."""
    table, measure = MODELS[model]
    bucket = TIME_BUCKETS[time_group]
    rows = snap.rows(f"select {bucket}, sum({measure}) from {table} group by 1 order by 1")
    return [(_as_datetime(r[0]), _int(r[1])) for r in rows]


def minute_counts(
    snap: Snapshot, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, int]]:
    """Downloads per UTC minute in [start, end) (naive UTC bounds).

    Every modern time zone offset is a whole number of minutes, so minute counts can be
    bucketed into any zone's local hours exactly, half-hour and 45-minute zones included.
    """
    rows = snap.rows(
        "select minute_at, downloads from minute_downloads "
        "where minute_at >= :start and minute_at < :end",
        {"start": start, "end": end},
    )
    return [(_as_datetime(r[0]), _int(r[1])) for r in rows]


def known_packages(snap: Snapshot) -> frozenset[str]:
    """Names in the package manifest (the `packages` seed), read once per build."""
    return snap.cached(
        ("api", "known_packages"),
        lambda: frozenset(r[0] for r in snap.rows("select distinct package from packages")),
    )


def known_categories(snap: Snapshot) -> frozenset[str]:
    """Category names from the `categories` seed: the allow-list for `?category=`."""
    return snap.cached(
        ("api", "known_categories"),
        lambda: frozenset(r[0] for r in snap.rows("select category from categories")),
    )


def _in_list(names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """An `in (...)` list of bound placeholders for `names` (the text holds no values)."""
    params = {f"p{i}": name for i, name in enumerate(names)}
    return ", ".join(f":p{i}" for i in range(len(names))), params


def _daily_mart_sums(
    snap: Snapshot,
    group: str,
    packages: Sequence[str] | None,
    start: dt.date,
    end: dt.date,
    filters: dict[str, str],
) -> list[tuple[Any, ...]]:
    """`group` (fixed text: package, download_date or both) and summed downloads of the
    daily mart in [start, end], of `packages` (None: all), under `filters`."""
    placeholders, params = _in_list(packages or [])
    which = f" and package in ({placeholders})" if packages is not None else ""
    more, bound = _and_filters(filters)
    positions = ", ".join(str(i + 1) for i in range(group.count(",") + 1))
    return snap.rows(
        f"select {group}, sum(downloads) from daily_downloads "
        f"where download_date >= :start and download_date <= :end{which}{more} "
        f"group by {positions}",
        {**params, **bound, "start": start, "end": end},
    )


def daily_counts(
    snap: Snapshot,
    packages: Sequence[str],
    start: dt.date,
    end: dt.date,
    filters: dict[str, str] | None = None,
) -> dict[str, dict[dt.date, int]]:
    """Downloads per package and UTC day in [start, end] from the hourly mart (the daily
    mart under client filters or `filter=people`)."""
    out: dict[str, dict[dt.date, int]] = {name: {} for name in packages}
    if filters:
        for package, day, count in _daily_mart_sums(
            snap, "package, download_date", packages, start, end, filters
        ):
            out[package][_as_date(day)] = _int(count)
        return out
    placeholders, params = _in_list(packages)
    rows = snap.rows(
        "select package, cast(hour_at as date), sum(downloads) from hourly_downloads "
        f"where package in ({placeholders}) and hour_at >= :start and hour_at < :stop "
        "group by 1, 2",
        {**params, "start": _midnight(start), "stop": _midnight(end + dt.timedelta(days=1))},
    )
    for package, day, count in rows:
        out[package][_as_date(day)] = _int(count)
    return out


def period_totals(
    snap: Snapshot,
    packages: Sequence[str],
    start: dt.date,
    end: dt.date,
    filters: dict[str, str] | None = None,
) -> dict[str, int]:
    """Downloads per package in [start, end] (UTC days) from the hourly mart (the daily mart
    under filters): one row each."""
    if filters:
        rows = _daily_mart_sums(snap, "package", packages, start, end, filters)
        return {package: _int(count) for package, count in rows}
    placeholders, params = _in_list(packages)
    rows = snap.rows(
        "select package, sum(downloads) from hourly_downloads "
        f"where package in ({placeholders}) and hour_at >= :start and hour_at < :stop "
        "group by 1",
        {**params, "start": _midnight(start), "stop": _midnight(end + dt.timedelta(days=1))},
    )
    return {package: _int(count) for package, count in rows}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class MonthStat:
    """One monthly (or yearly) row of `stats`, summed over the package's categories."""

    date: dt.date
    downloads: int
    distinct_ips: int


def monthly_stats(
    snap: Snapshot, packages: Sequence[str], start: dt.date, end: dt.date, monthly: bool
) -> dict[str, dict[dt.date, MonthStat]]:
    """`stats` rows (monthly or yearly) dated within [start, end], per package.

    A package listed in two categories would have two rows per period; distinct IPs of the
    two cannot be merged exactly, so such sums are an upper bound (it does not happen in the
    Bioconductor manifest).
    """
    placeholders, params = _in_list(packages)
    rows = snap.rows(
        "select package, date, sum(download_count), sum(ip_count) from stats "
        f"where package in ({placeholders}) and is_monthly = :monthly "
        "and date >= :start and date <= :end group by 1, 2",
        {**params, "monthly": monthly, "start": start, "end": end},
    )
    out: dict[str, dict[dt.date, MonthStat]] = {name: {} for name in packages}
    for package, date, downloads, ips in rows:
        day = _as_date(date)
        out[package][day] = MonthStat(day, _int(downloads), _int(ips))
    return out


@dataclass(frozen=True)
class TopEntry:
    """One package of a top list."""

    category: str
    package: str
    downloads: int


def package_totals(
    snap: Snapshot, start: dt.date, end: dt.date, category: str | None
) -> list[TopEntry]:
    """Downloads per (category, package) in [start, end], most downloaded first.

    Ties are broken by lower-case name, then bytes (as the legacy score ranks), in Python.
    """
    params: dict[str, Any] = {"start": _midnight(start), "stop": _midnight(end + dt.timedelta(1))}
    where = "hour_at >= :start and hour_at < :stop"
    if category is not None:
        where += " and category = :category"
        params["category"] = category
    rows = snap.rows(
        f"select category, package, sum(downloads) from hourly_downloads where {where} "
        "group by 1, 2",
        params,
    )
    entries = [TopEntry(r[0], r[1], _int(r[2])) for r in rows]
    entries.sort(key=lambda e: (-e.downloads, e.package.lower(), e.package, e.category))
    return entries


def daily_totals(
    snap: Snapshot, start: dt.date, end: dt.date, filters: dict[str, str] | None = None
) -> dict[dt.date, int]:
    """Downloads of all packages per UTC day in [start, end] (the daily mart under filters)."""
    if filters:
        rows = _daily_mart_sums(snap, "download_date", None, start, end, filters)
        return {_as_date(day): _int(count) for day, count in rows}
    rows = snap.rows(
        "select cast(hour_at as date), sum(downloads) from hourly_downloads "
        "where hour_at >= :start and hour_at < :stop group by 1",
        {"start": _midnight(start), "stop": _midnight(end + dt.timedelta(days=1))},
    )
    return {_as_date(day): _int(count) for day, count in rows}


def first_download_day(snap: Snapshot) -> dt.date | None:
    """The first UTC day with daily data (None before any): before it, counts are unknown."""

    def compute() -> dt.date | None:
        first = snap.rows("select min(hour_at) from hourly_downloads")[0][0]
        return None if first is None else _as_date(first)

    return snap.cached(("api", "first_download_day"), compute)


def log_coverage(snap: Snapshot) -> dict[dt.date, bool]:
    """The UTC days with loaded log lines, each with whether it is complete (log_coverage;
    docs/rules.md, log coverage). A day missing here has no loaded logs: its counts are
    unknown. One row per day: a few thousand at most, read once per build."""

    def compute() -> dict[dt.date, bool]:
        rows = snap.rows("select log_date, is_complete from log_coverage")
        return {_as_date(day): bool(complete) for day, complete in rows}

    return snap.cached(("api", "log_coverage"), compute)


def last_loaded_file(snap: Snapshot) -> tuple[str, dt.datetime] | None:
    """(name, loaded_at) of the newest log file loaded into this build, None when unknown
    (Athena keeps no load ledger)."""
    row = snap.rows("select last_file_name, last_file_loaded_at from webstats_info")[0]
    if row[0] is None:
        return None
    return str(row[0]), row[1]


def source_freshness(snap: Snapshot) -> dict[str, Any] | None:
    """The nightly job's last `dbt source freshness` verdict on the raw logs
    (webstats/jobs/freshness.py), or None: never run, or a site file without it (the one
    published from Athena). Not cached with the build: the job stores it before building."""
    try:
        rows = snap.rows(
            "select status, max_loaded_at, age_seconds, warn_after_hours, error_after_hours, "
            "checked_at from source_freshness"
        )
    except SQLAlchemyError:
        return None
    if not rows:
        return None
    status, newest, age, warn, error, checked = rows[0]
    return {
        "status": status,
        "max_loaded_at": None if newest is None else newest.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "age_hours": None if age is None else round(float(age) / 3600, 1),
        "warn_after_hours": None if warn is None else int(warn),
        "error_after_hours": None if error is None else int(error),
        "checked_at": checked.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
