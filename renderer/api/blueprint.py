"""The JSON API under /api/: the dashboard contract and per-package download counts
(docs/rules.md, "The API").

Parameters are checked first (params.py); answers only change when a build finishes, so
encoded bodies and their ETags are memoised per build (the shared LRU living on the
Snapshot) and conditional GETs are answered with 304.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import os
import threading
import zoneinfo
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from renderer import http
from renderer.api import cranlogs
from renderer.api import queries as q
from renderer.api.openapi import openapi_document
from renderer.api.params import (
    GET_DATA_MAX_GROUPS,
    GET_DATA_TIME_GROUPS,
    GLOBAL_SUM_TIME_GROUPS,
    PERIOD_MAX_MONTHS,
    RANGE_MAX_MONTHS,
    ApiError,
    arg,
    choice,
    days,
    parse_date,
    parse_filters,
    parse_packages,
    parse_period,
    parse_top_n,
    parse_zone,
    whole_months,
)
from renderer.cache import LRU
from renderer.errors import error_response, json_bytes
from renderer.snapshot import Snapshot, WarehouseUnavailable
from webstats.core.runs import last_run

bp = Blueprint("api", __name__, url_prefix="/api")

# The answers memoised per build, bounded in bytes (bodies plus keys): the largest answer the
# limits allow is about 3 MB (docs/api.md, "Limits"), so this holds at least 10 of them.
CACHE_BYTES = 32 * 1024 * 1024
# Answers computed at the same time (cached answers and 304s never wait). A client sending
# many expensive requests at once gets 503 + Retry-After for the excess instead of holding
# every server thread and both CPUs, so page views keep theirs (bench/bench_hostile.py:
# with 2 slots the pages' p99 under 8 worst-case connections was 540 ms, with 1 see
# docs/benchmarks.md).
COMPUTE_SLOTS = 1
_compute_slots = threading.BoundedSemaphore(COMPUTE_SLOTS)
# The slots' work runs in threads of lower OS priority (nice +COMPUTE_NICENESS, Linux sets it
# per thread): the CPU goes to page views first, to the expensive answer in what is left.
COMPUTE_NICENESS = 10


def _lower_priority() -> None:
    """Nice the calling (compute) thread; best effort: other systems keep one priority."""
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + COMPUTE_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness))


_compute_threads = ThreadPoolExecutor(
    COMPUTE_SLOTS, thread_name_prefix="api-compute", initializer=_lower_priority
)


def _snapshot() -> Snapshot:
    return current_app.extensions["snapshots"].snapshot()


def _respond(snap: Snapshot, key: tuple[Any, ...], compute: Callable[[], Any]) -> Response:
    """Serve the JSON body for `key`: 304 when the client is current, else memoised bytes.

    Validators come from the shared conditional-GET helpers (build stamp + canonical key), so
    a revalidation is answered before any query runs.
    """
    lru: LRU = snap.cached(("api", "lru"), lambda: LRU(CACHE_BYTES, len, _key_bytes))

    def produce() -> bytes:
        return lru.get_or_compute(key, lambda: _computed(compute))

    return http.respond(snap, "api:" + repr(key), produce, "application/json")


def _key_bytes(key: tuple[Any, ...]) -> int:
    """What a cache key weighs: a bulk key holds up to 128 names."""
    return len(repr(key))


def _computed(compute: Callable[[], Any]) -> bytes:
    """The encoded answer, computed in one of COMPUTE_SLOTS; 503 when all are busy."""
    return _in_slot(lambda: json_bytes(compute()))


def _in_slot(work: Callable[[], Any]) -> Any:
    """`work()` in one of COMPUTE_SLOTS, or Busy (503) at once when all are taken."""
    if not _compute_slots.acquire(blocking=False):
        raise Busy()
    try:
        # the request's context (Flask's app and request are context variables) goes along
        return _compute_threads.submit(contextvars.copy_context().run, work).result()
    finally:
        _compute_slots.release()


class Busy(Exception):
    """Every compute slot is taken: the client should retry shortly."""


@bp.after_app_request
def _cors(resp: Response) -> Response:
    """Any origin may read the API: it is public, read-only data. App-wide, so that the
    answers routing gives before the blueprint is chosen (405 + Allow) carry it too."""
    if not request.path.startswith("/api/"):
        return resp
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = _allowed_methods(resp.headers.get("Allow"))
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type, If-None-Match, If-Modified-Since"
    resp.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _allowed_methods(allow: str | None) -> str:
    """The methods the path serves: an answer's `Allow` (OPTIONS and 405 list every route of
    the path), else the matched route's: a preflight is never told of a method not served."""
    rule = request.url_rule
    if allow:
        methods = set(allow.split(", "))
    else:
        methods = set(rule.methods or ()) if rule is not None else {"GET", "HEAD", "OPTIONS"}
    return ", ".join(m for m in ("GET", "HEAD", "POST", "OPTIONS") if m in methods)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message)


@bp.errorhandler(WarehouseUnavailable)
def _unavailable(_exc: WarehouseUnavailable) -> Response:
    return error_response(503, "the statistics are not available right now")


@bp.errorhandler(Busy)
def _busy(_exc: Busy) -> Response:
    resp = error_response(503, "the server is busy; retry in a second")
    resp.headers["Retry-After"] = "1"
    return resp


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    resp = error_response(exc.code or 500, exc.name.lower())
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)  # RFC 9110: a 405 says what is
    return resp


@bp.errorhandler(Exception)
def _internal(_exc: Exception) -> Response:
    current_app.logger.exception("API request failed")
    return error_response(500, "internal error")


@functools.lru_cache(maxsize=65536)
def format_bucket(value: dt.datetime | None, time_group: str | None) -> str | None:
    """Bucket labels: YYYY, YYYY-MM-01, YYYY-MM-DD, YYYY-MM-DD HH:00."""
    if value is None or time_group is None:
        return None
    return value.strftime(
        {"year": "%Y", "month": "%Y-%m-01", "day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}[time_group]
    )


@bp.get("/get_data")
def get_data() -> Response:
    """Downloads grouped by one or two columns, optionally per time bucket."""
    model = choice("model", tuple(q.MODELS))
    group_by = choice("group_by", tuple(q.GROUP_COLUMNS))
    second = choice("second_group_by", tuple(q.GROUP_COLUMNS), required=False)
    time_group = choice("time_group", GET_DATA_TIME_GROUPS, required=False)
    if second is not None and second == group_by:
        raise ApiError("invalid second_group_by; it must differ from group_by")
    filters = parse_filters()
    columns = [group_by] if second is None else [group_by, second]
    if q.source_for(columns, filters) is None:
        raise ApiError(
            "bioc_version and download_type cannot be combined with client, r_version, os, "
            "arch, country, edge_country or automation_reason (as a grouping or a filter), "
            "nor with filter=people"
        )
    snap = _snapshot()
    count = q.grouped_count(snap, model, columns, time_group, run=_in_slot, filters=filters)
    if count > GET_DATA_MAX_GROUPS:
        raise ApiError(
            f"too many groups; get_data answers at most {GET_DATA_MAX_GROUPS:,} "
            "(ask a coarser time_group, or /api/downloads/range for packages per day)"
        )
    chosen = tuple(sorted(filters.items()))
    key = ("get_data", q.MODELS[model], group_by, second, time_group, chosen)
    return _respond(
        snap, key, lambda: _get_data(snap, model, group_by, second, time_group, filters)
    )


def _get_data(
    snap: Snapshot,
    model: str,
    group_by: str,
    second: str | None,
    time_group: str | None,
    filters: dict[str, str],
) -> list[dict[str, Any]]:
    columns = [group_by] if second is None else [group_by, second]
    rows = q.grouped_counts(snap, model, columns, time_group, filters)
    if second is None:
        return [_flat_entry(group_by, r, time_group) for r in rows]
    return _nested_entries(group_by, second, rows, time_group)


def _flat_entry(column: str, row: tuple[Any, ...], time_group: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {column: row[1], "data": row[2]}
    if time_group:
        entry["time_group"] = format_bucket(row[0], time_group)
    return entry


def _nested_entries(
    column: str, second: str, rows: list[tuple[Any, ...]], time_group: str | None
) -> list[dict[str, Any]]:
    """One object per (bucket, column value) holding parallel lists of second values/counts."""
    out: list[dict[str, Any]] = []
    current: tuple[Any, Any] | None = None
    for bucket, value, second_value, count in rows:
        if (bucket, value) != current or not out:
            current = (bucket, value)
            entry: dict[str, Any] = {column: value, second: [], "data": []}
            if time_group:
                entry["time_group"] = format_bucket(bucket, time_group)
            out.append(entry)
        out[-1][second].append(second_value)
        out[-1]["data"].append(count)
    return out


@bp.get("/get_global_sum")
def get_global_sum() -> Response:
    """Total downloads per year, month, day or UTC hour."""
    model = choice("model", tuple(q.MODELS))
    time_group = choice("time_group", GLOBAL_SUM_TIME_GROUPS)
    snap = _snapshot()
    return _respond(
        snap,
        ("get_global_sum", q.MODELS[model], time_group),
        lambda: [
            {"total_sum": total, "time_group": format_bucket(bucket, time_group)}
            for bucket, total in q.global_sums(snap, model, time_group)
        ],
    )


@bp.get("/get_daily_downloads")
def get_daily_downloads() -> Response:
    """Downloads per local wall-clock hour of one day in any IANA zone (SPEC 6)."""
    zone_name, zone = _zone_arg()
    date_text = arg("date", required=False)
    day = parse_date(date_text) if date_text else dt.datetime.now(zone).date()
    return _daily_answer(zone_name, zone, day)


@bp.get("/get_todays_downloads")
def get_todays_downloads() -> Response:
    """The older dashboard clients' name for today's `get_daily_downloads` (no `date`)."""
    zone_name, zone = _zone_arg()
    return _daily_answer(zone_name, zone, dt.datetime.now(zone).date())


def _zone_arg() -> tuple[str, zoneinfo.ZoneInfo]:
    zone_name = arg("timezone", required=False) or "UTC"
    return zone_name, parse_zone(zone_name)


def _daily_answer(zone_name: str, zone: zoneinfo.ZoneInfo, day: dt.date) -> Response:
    """`[]` for a day after the last loaded one (the dashboard then says "No data
    available"); otherwise the 24 wall-clock hours."""
    snap = _snapshot()
    if day > snap.valid_thru:
        return _respond(snap, ("get_daily_downloads", "after valid_thru"), lambda: [])
    return _respond(
        snap, ("get_daily_downloads", zone_name, day), lambda: local_hours(snap, zone, day)
    )


def local_day_bounds(zone: zoneinfo.ZoneInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants (naive) of local midnight starting and ending `day` in `zone`."""

    def utc_midnight(d: dt.date) -> dt.datetime:
        local = dt.datetime(d.year, d.month, d.day, tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return utc_midnight(day), utc_midnight(day + dt.timedelta(days=1))


def local_hours(snap: Snapshot, zone: zoneinfo.ZoneInfo, day: dt.date) -> list[dict[str, int]]:
    """Always 24 entries: `hour` h counts the downloads whose local wall-clock time is in
    [h-1:00, h:00) on `day`, as the dashboard's original backend numbered them, so its fixed
    1-24 axis stays right on daylight-saving days: the repeated hour of a fall-back day holds
    both occurrences, the skipped hour of a spring-forward day is 0."""
    start, end = local_day_bounds(zone, day)
    totals = [0] * 24
    for minute, count in q.minute_counts(snap, start, end):
        totals[minute.replace(tzinfo=dt.UTC).astimezone(zone).hour] += count
    return [{"hour": i + 1, "total_primary": n} for i, n in enumerate(totals)]


# ---------------------------------------------------------------- per-package endpoints


@bp.get("/downloads/point/<period>/<packages>")
def downloads_point(period: str, packages: str) -> Response:
    """Total downloads of one package (or up to 128) in a period."""
    return _per_package("point", period, packages, PERIOD_MAX_MONTHS)


@bp.get("/downloads/range/<period>/<packages>")
def downloads_range(period: str, packages: str) -> Response:
    """Downloads per day of one package (or up to 128) in a period of at most 18 months."""
    return _per_package("range", period, packages, RANGE_MAX_MONTHS)


@bp.get("/downloads/breakdown/<period>/<packages>")
def downloads_breakdown(period: str, packages: str) -> Response:
    """Downloads of one package (or up to 128) in a period per value of one client
    dimension (`by`: docs/rules.md, the client of a download)."""
    by = choice("by", tuple(q.DIMENSIONS))
    filters = parse_filters()
    snap, names, bulk, start, end = _requested_packages(period, packages, PERIOD_MAX_MONTHS)
    key = ("breakdown", start, end, tuple(names), bulk, by, tuple(sorted(filters.items())))
    return _respond(
        snap, key, lambda: _breakdown_payload(snap, names, bulk, start, end, by, filters)
    )


def _breakdown_payload(
    snap: Snapshot,
    names: list[str],
    bulk: bool,
    start: dt.date,
    end: dt.date,
    by: str,
    filters: dict[str, str],
) -> dict[str, Any]:
    known = q.known_packages(snap)
    found = [n for n in names if n in known]
    counts = q.breakdown(snap, found, start, end, by, filters) if found else {}
    span = {"start": start.isoformat(), "end": end.isoformat(), "by": by}
    entries = {
        name: {
            "package": name,
            **span,
            "breakdown": [{"value": v, "downloads": n} for v, n in counts[name]],
        }
        for name in found
    }
    if not bulk:
        return entries[names[0]]
    return {name: entries.get(name) for name in names}


def _requested_packages(
    period: str, packages: str, max_months: int
) -> tuple[Snapshot, list[str], bool, dt.date, dt.date]:
    """The build, the names (bulk or one, a single unknown name is 404) and the period of a
    per-package request."""
    names, bulk = parse_packages(packages)
    snap = _snapshot()
    start, end = parse_period(period, snap.valid_thru, max_months)
    if not bulk and names[0] not in q.known_packages(snap):
        raise ApiError("package not found", 404)
    return snap, names, bulk, start, end


def _per_package(kind: str, period: str, packages: str, max_months: int) -> Response:
    filters = parse_filters()
    snap, names, bulk, start, end = _requested_packages(period, packages, max_months)
    key = (kind, start, end, tuple(names), bulk, tuple(sorted(filters.items())))
    return _respond(
        snap, key, lambda: _package_payload(snap, kind, names, bulk, start, end, filters)
    )


def _package_payload(
    snap: Snapshot,
    kind: str,
    names: list[str],
    bulk: bool,
    start: dt.date,
    end: dt.date,
    filters: dict[str, str],
) -> dict[str, Any]:
    known = q.known_packages(snap)
    found = [n for n in names if n in known]
    entries = _package_entries(snap, kind, found, start, end, filters) if found else {}
    if not bulk:
        return entries[names[0]]
    return {name: entries.get(name) for name in names}


def _package_entries(
    snap: Snapshot,
    kind: str,
    names: list[str],
    start: dt.date,
    end: dt.date,
    filters: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """The answer per package. Labels (days, months) are formatted once for all packages, and
    a point asks the database for totals, not days: the worst allowed request stays cheap.
    Under filters the months and distinct IPs (from `stats`, which counts every download)
    are left out; a range's day without loaded logs is null (log_coverage)."""
    months = None if filters else whole_months(start, end)
    monthly = q.monthly_stats(snap, names, start, end, monthly=True) if months else {}
    month_labels = [m.strftime("%Y-%m") for m in months] if months else []
    yearly = {} if filters else _calendar_year_ips(snap, names, start, end)
    if kind == "point":
        totals = q.period_totals(snap, names, start, end, filters)
    else:
        daily = q.daily_counts(snap, names, start, end, filters)
        coverage = q.log_coverage(snap)
        day_list = days(start, end)
        day_labels = [d.isoformat() for d in day_list]
        logged = [d in coverage for d in day_list]
    out = {}
    span = {"start": start.isoformat(), "end": end.isoformat()}
    for name in names:
        entry: dict[str, Any] = {"package": name, **span}
        if kind == "point":
            entry["downloads"] = totals.get(name, 0)
        else:
            counts = daily[name]
            entry["downloads"] = [
                {"day": label, "downloads": counts.get(d, 0) if known else None}
                for d, label, known in zip(day_list, day_labels, logged, strict=True)
            ]
        if months:
            entry["months"] = _month_entries(months, month_labels, monthly[name])
            if kind == "point":
                ips = _exact_ips(months, monthly[name], yearly.get(name))
                if ips is not None:
                    entry["distinct_ips"] = ips
        out[name] = entry
    return out


def _calendar_year_ips(
    snap: Snapshot, names: list[str], start: dt.date, end: dt.date
) -> dict[str, int]:
    """Distinct IPs of a whole calendar year (the yearly `stats` row), when that is the period."""
    if not (start.month == 1 and start.day == 1 and end == dt.date(start.year, 12, 31)):
        return {}
    rows = q.monthly_stats(snap, names, end, end, monthly=False)
    return {
        name: (by_date[end].distinct_ips if end in by_date else 0) for name, by_date in rows.items()
    }


def _month_entries(
    months: list[dt.date], labels: list[str], stats: dict[dt.date, q.MonthStat]
) -> list[dict[str, Any]]:
    """Monthly rows of `stats` over the period; months without downloads are zeros."""
    zero = q.MonthStat(dt.date.min, 0, 0)
    out = []
    for month, label in zip(months, labels, strict=True):
        stat = stats.get(month, zero)
        out.append({"month": label, "downloads": stat.downloads, "distinct_ips": stat.distinct_ips})
    return out


def _exact_ips(
    months: list[dt.date], stats: dict[dt.date, q.MonthStat], year_ips: int | None
) -> int | None:
    """Distinct IPs of the whole period when `stats` holds it exactly: one month or one year.

    Other spans would need a distinct count over several months, which is not the sum of
    the months' counts; those answers carry only the per-month list.
    """
    if len(months) == 1:
        month = stats.get(months[0])
        return month.distinct_ips if month else 0
    return year_ips


@bp.get("/top/<period>/<n>")
def top(period: str, n: str) -> Response:
    """The n most downloaded packages in a period, optionally within one category."""
    count = parse_top_n(n)
    snap = _snapshot()
    start, end = parse_period(period, snap.valid_thru, PERIOD_MAX_MONTHS)
    category = arg("category", required=False)
    if category is not None and category not in q.known_categories(snap):
        categories = ", ".join(sorted(q.known_categories(snap)))
        raise ApiError(f"invalid category; expected one of: {categories}")
    key = ("top", start, end, count, category)
    return _respond(snap, key, lambda: _top_payload(snap, start, end, count, category))


def _top_payload(
    snap: Snapshot, start: dt.date, end: dt.date, count: int, category: str | None
) -> dict[str, Any]:
    """Ours (`packages`, ranked with categories) and cranlogs' (`downloads`: package and
    count) side by side, so clients of either read the same answer."""
    ranked = q.package_totals(snap, start, end, category)[:count]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "category": category,
        "packages": [
            {"rank": i + 1, "package": e.package, "category": e.category, "downloads": e.downloads}
            for i, e in enumerate(ranked)
        ],
        "downloads": [{"package": e.package, "downloads": e.downloads} for e in ranked],
    }


# ---------------------------------------------------------------- cranlogs-compatible


@bp.get("/downloads/daily/<period>", defaults={"packages": None})
@bp.get("/downloads/daily/<period>/<packages>")
def cran_daily(period: str, packages: str | None) -> Response:
    """cranlogs' daily downloads: one entry per package, or one for all packages."""
    names = parse_packages(packages)[0] if packages else None
    return _cran("daily", period, names)


@bp.get("/downloads/total/<period>", defaults={"packages": None})
@bp.get("/downloads/total/<period>/<packages>")
def cran_total(period: str, packages: str | None) -> Response:
    """cranlogs' total downloads over a period."""
    names = parse_packages(packages)[0] if packages else None
    return _cran("total", period, names)


@bp.post("/downloads/daily/<period>")
def cran_daily_post(period: str) -> Response:
    """Bulk daily: `{"packages": [...]}` in the body, up to cranlogs.POST_MAX names."""
    return _cran("daily", period, cranlogs.body_packages(request.get_json(silent=True)))


@bp.post("/downloads/total/<period>")
def cran_total_post(period: str) -> Response:
    """Bulk total: `{"packages": [...]}` in the body, up to cranlogs.POST_MAX names."""
    return _cran("total", period, cranlogs.body_packages(request.get_json(silent=True)))


def _cran(kind: str, period: str, names: list[str] | None) -> Response:
    filters = parse_filters()
    snap = _snapshot()
    max_months = cranlogs.DAILY_MAX_MONTHS if kind == "daily" else PERIOD_MAX_MONTHS
    start, end = cranlogs.parse_cran_period(period, snap.valid_thru, max_months)
    if kind == "daily":
        cranlogs.check_daily_size(names, start, end)
    build = cranlogs.daily_payload if kind == "daily" else cranlogs.total_payload
    chosen = tuple(sorted(filters.items()))
    key = ("cran", kind, start, end, None if names is None else tuple(names), chosen)
    if request.method == "POST":  # up to 5,000 names: not worth a place in the shared LRU
        body = lambda: json_bytes(build(snap, names, start, end, filters))  # noqa: E731
        return http.respond(snap, "api:" + repr(key), body, "application/json")
    return _respond(snap, key, lambda: build(snap, names, start, end, filters))


# ---------------------------------------------------------------- status

STATUS_WINDOW_DAYS = 90


@bp.get("/status")
def status() -> Response:
    """How current and how complete the served data is (docs/api.md, "Status"). The last
    run's outcome is recorded outside the build (webstats/core/runs.py), so it is part of
    the answer's key: a failed run changes the answer without a new build."""
    snap = _snapshot()
    run = last_run(current_app.extensions["snapshots"].settings)
    key = ("status", tuple(sorted((run or {}).items())))
    return _respond(snap, key, lambda: {**_status_payload(snap), "last_run": run})


def _status_payload(snap: Snapshot) -> dict[str, Any]:
    """The build's days and time, the newest loaded log file, and which of the last 90 days
    (up to valid_thru) have no loaded logs or incomplete ones (log_coverage), and which have
    no download at all."""
    first = q.first_download_day(snap)
    coverage = q.log_coverage(snap)
    last_file = q.last_loaded_file(snap)
    return {
        "valid_thru": snap.valid_thru.isoformat(),
        "as_of_date": snap.as_of_date.isoformat(),
        "built_at": _utc_text(snap.built_at),
        "bioc_release": snap.bioc_release,
        "bioc_devel": snap.bioc_devel,
        "first_day": None if first is None else first.isoformat(),
        "first_log_day": min(coverage).isoformat() if coverage else None,
        "last_log_file": None
        if last_file is None
        else {"name": last_file[0], "loaded_at": _utc_text(last_file[1])},
        **_window_days(snap, first, coverage),
        "source_freshness": q.source_freshness(snap),
    }


def _utc_text(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window_days(
    snap: Snapshot, first: dt.date | None, coverage: dict[dt.date, bool]
) -> dict[str, list[str]]:
    """The days of the STATUS_WINDOW_DAYS ending at valid_thru without loaded logs and with
    incomplete logs (from the first day with logs), and without downloads (from the first
    day with daily data): for Bioconductor's traffic, a day whose logs did not arrive."""
    window_start = snap.valid_thru - dt.timedelta(days=STATUS_WINDOW_DAYS - 1)

    def window(since: dt.date | None) -> list[dt.date]:
        return [] if since is None else days(max(window_start, since), snap.valid_thru)

    logged = window(min(coverage) if coverage else None)
    counted = window(first)
    counts = q.daily_totals(snap, counted[0], counted[-1]) if counted else {}
    return {
        "days_without_logs": [d.isoformat() for d in logged if d not in coverage],
        "incomplete_days": [d.isoformat() for d in logged if coverage.get(d) is False],
        "days_without_downloads": [d.isoformat() for d in counted if not counts.get(d)],
    }


# ---------------------------------------------------------------- the API's description


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document: this code's limits, and the categories of the current build."""
    try:
        categories = q.known_categories(_snapshot())
    except WarehouseUnavailable:
        categories = frozenset()
    resp = Response(json_bytes(openapi_document(categories)), mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/", defaults={"rest": ""})
@bp.get("/<path:rest>")
def not_found(rest: str) -> Response:
    """Unknown API paths answer in JSON, like everything here (other methods: 405 + Allow)."""
    return error_response(404, "not found")
