"""The JSON API under /api/: the dashboard contract (SPEC 6) and per-package download counts.

Every request value is checked against an allow-list or a strict pattern before anything runs;
bad input is a 400 `{"error": ...}` that names what was expected, never what broke inside.
Answers only change when a build finishes, so encoded bodies and their ETags are memoised per
build (a bounded LRU living on the Snapshot) and conditional GETs are answered with 304.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import api_queries as q
from . import http
from .api_openapi import openapi_document
from .db import Snapshot, Warehouse, WarehouseUnavailable

bp = Blueprint("api", __name__, url_prefix="/api")

GET_DATA_TIME_GROUPS = ("year", "month", "day")
GLOBAL_SUM_TIME_GROUPS = ("year", "month", "day", "hour")
NAMED_PERIODS = {"last-day": 0, "last-week": 6, "last-month": 29, "last-year": 364}
RANGE_MAX_MONTHS = 18
BULK_MAX = 128
TOP_MAX = 500
MIN_DATE, MAX_DATE = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
PACKAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]{0,127}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
CACHE_ENTRIES = 4096


class ApiError(Exception):
    """A client error with a message that is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------- responses and caching


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _error(message: str, status: int) -> Response:
    """Errors are JSON too and never cached: they must not outlive a fixed input."""
    resp = Response(_json_bytes({"error": message}), status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


class _Lru:
    """A small thread-safe LRU: request keys are unbounded, memory must not be."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[Any, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Any, value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _snapshot() -> Snapshot:
    warehouse: Warehouse = current_app.extensions["warehouse"]
    return warehouse.snapshot()


def _respond(snap: Snapshot, key: tuple[Any, ...], compute: Callable[[], Any]) -> Response:
    """Serve the JSON body for `key`: 304 when the client is current, else memoised bytes.

    Validators come from the shared conditional-GET helpers (build stamp + canonical key), so
    a revalidation is answered before any query runs.
    """
    lru: _Lru = snap.cached(("api", "lru"), lambda: _Lru(CACHE_ENTRIES))

    def produce() -> bytes:
        body = lru.get(key)
        if body is None:
            body = _json_bytes(compute())
            lru.put(key, body)
        return body

    return http.respond(snap, "api:" + repr(key), produce, "application/json")


@bp.after_request
def _cors(resp: Response) -> Response:
    """Any origin may read the API: it is public, read-only data."""
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    resp.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _error(exc.message, exc.status)


@bp.errorhandler(WarehouseUnavailable)
def _unavailable(_exc: WarehouseUnavailable) -> Response:
    return _error("the statistics are not available right now", 503)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _error(exc.name.lower(), exc.code or 500)


@bp.errorhandler(Exception)
def _internal(_exc: Exception) -> Response:
    current_app.logger.exception("API request failed")
    return _error("internal error", 500)


# ---------------------------------------------------------------- validation


def _arg(name: str, required: bool = True) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(f"missing parameter: {name}")
        return None
    return value


def _choice(name: str, allowed: Sequence[str], required: bool = True) -> str | None:
    """A parameter whose value must be one of `allowed` (the input is never echoed)."""
    value = _arg(name, required)
    if value is not None and value not in allowed:
        raise ApiError(f"invalid {name}; expected one of: {', '.join(allowed)}")
    return value


def parse_date(text: str, what: str = "date") -> dt.date:
    """A strict YYYY-MM-DD date within the range every zone conversion can handle."""
    if not DATE_RE.fullmatch(text):
        raise ApiError(f"invalid {what}; expected YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ApiError(f"invalid {what}; not a calendar date") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ApiError(f"invalid {what}; must be between {MIN_DATE} and {MAX_DATE}")
    return day


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def parse_zone(name: str) -> zoneinfo.ZoneInfo:
    """Any IANA zone known to the system's tz database; nothing else reaches zoneinfo."""
    if name not in _zone_names():
        raise ApiError("invalid timezone; expected an IANA time zone name such as Europe/Berlin")
    return zoneinfo.ZoneInfo(name)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def parse_period(text: str, valid_thru: dt.date, max_months: int | None) -> tuple[dt.date, dt.date]:
    """A named period ending at the data's last day, or an explicit `start:end` (inclusive)."""
    if text in NAMED_PERIODS:
        return valid_thru - dt.timedelta(days=NAMED_PERIODS[text]), valid_thru
    parts = text.split(":")
    if len(parts) != 2:
        raise ApiError(
            "invalid period; expected last-day, last-week, last-month, last-year "
            "or YYYY-MM-DD:YYYY-MM-DD"
        )
    start, end = parse_date(parts[0], "period start"), parse_date(parts[1], "period end")
    if start > end:
        raise ApiError("invalid period; the start is after the end")
    if max_months is not None and end >= add_months(start, max_months):
        raise ApiError(f"invalid period; a range covers at most {max_months} months")
    return start, end


def parse_packages(text: str) -> tuple[list[str], bool]:
    """Package names from the path and whether this is a bulk (comma-separated) request."""
    bulk = "," in text
    names = list(dict.fromkeys(text.split(",")))
    if len(names) > BULK_MAX:
        raise ApiError(f"too many packages; a bulk request takes at most {BULK_MAX}")
    if not all(PACKAGE_RE.fullmatch(n) for n in names):
        raise ApiError("invalid package name; expected letters, digits and dots")
    return names, bulk


def parse_top_n(text: str) -> int:
    if not re.fullmatch(r"\d{1,6}", text) or not 1 <= int(text) <= TOP_MAX:
        raise ApiError(f"invalid n; expected an integer from 1 to {TOP_MAX}")
    return int(text)


# ---------------------------------------------------------------- formatting


@functools.lru_cache(maxsize=65536)
def format_bucket(value: dt.datetime | None, time_group: str | None) -> str | None:
    """Bucket labels per SPEC 6: YYYY, YYYY-MM-01, YYYY-MM-DD, YYYY-MM-DD HH:00."""
    if value is None or time_group is None:
        return None
    return value.strftime(
        {"year": "%Y", "month": "%Y-%m-01", "day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}[time_group]
    )


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def whole_months(start: dt.date, end: dt.date) -> list[dt.date] | None:
    """First days of the months of [start, end] when it is whole calendar months, else None."""
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
        return None
    months, month = [], start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


# ---------------------------------------------------------------- dashboard endpoints


@bp.get("/get_data")
def get_data() -> Response:
    """Downloads grouped by one or two columns, optionally per time bucket (SPEC 6)."""
    model = _choice("model", tuple(q.MODELS))
    group_by = _choice("group_by", tuple(q.GROUP_COLUMNS))
    second = _choice("second_group_by", tuple(q.GROUP_COLUMNS), required=False)
    time_group = _choice("time_group", GET_DATA_TIME_GROUPS, required=False)
    if second is not None and second == group_by:
        raise ApiError("invalid second_group_by; it must differ from group_by")
    snap = _snapshot()
    key = ("get_data", model, group_by, second, time_group)
    return _respond(snap, key, lambda: _get_data(snap, model, group_by, second, time_group))


def _get_data(
    snap: Snapshot, model: str, group_by: str, second: str | None, time_group: str | None
) -> list[dict[str, Any]]:
    columns = [group_by] if second is None else [group_by, second]
    rows = q.grouped_counts(snap, model, columns, time_group)
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
    """Total downloads per year, month, day or UTC hour (SPEC 6)."""
    model = _choice("model", tuple(q.MODELS))
    time_group = _choice("time_group", GLOBAL_SUM_TIME_GROUPS)
    snap = _snapshot()
    return _respond(
        snap,
        ("get_global_sum", model, time_group),
        lambda: [
            {"total_sum": total, "time_group": format_bucket(bucket, time_group)}
            for bucket, total in q.global_sums(snap, model, time_group)
        ],
    )


@bp.get("/get_daily_downloads")
def get_daily_downloads() -> Response:
    """Downloads per local hour of one day in any IANA zone (SPEC 6)."""
    zone_name = _arg("timezone", required=False) or "UTC"
    zone = parse_zone(zone_name)
    date_text = _arg("date", required=False)
    day = parse_date(date_text) if date_text else dt.datetime.now(zone).date()
    snap = _snapshot()
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
    """Entry k counts downloads in the k-th hour after local midnight, so a day that loses an
    hour has 23 entries and one that repeats an hour has 25; `hour` is that hour's end."""
    start, end = local_day_bounds(zone, day)
    hour = dt.timedelta(hours=1)
    totals = [0] * -(-(end - start) // hour)
    for minute, count in q.minute_counts(snap, start, end):
        totals[(minute - start) // hour] += count
    return [{"hour": i + 1, "total_primary": n} for i, n in enumerate(totals)]


# ---------------------------------------------------------------- per-package endpoints


@bp.get("/downloads/point/<period>/<packages>")
def downloads_point(period: str, packages: str) -> Response:
    """Total downloads of one package (or up to 128) in a period."""
    return _per_package("point", period, packages, None)


@bp.get("/downloads/range/<period>/<packages>")
def downloads_range(period: str, packages: str) -> Response:
    """Downloads per day of one package (or up to 128) in a period of at most 18 months."""
    return _per_package("range", period, packages, RANGE_MAX_MONTHS)


def _per_package(kind: str, period: str, packages: str, max_months: int | None) -> Response:
    names, bulk = parse_packages(packages)
    snap = _snapshot()
    start, end = parse_period(period, snap.valid_thru, max_months)
    known = q.known_packages(snap)
    if not bulk and names[0] not in known:
        raise ApiError("package not found", 404)
    key = (kind, start, end, tuple(names), bulk)
    return _respond(snap, key, lambda: _package_payload(snap, kind, names, bulk, start, end))


def _package_payload(
    snap: Snapshot, kind: str, names: list[str], bulk: bool, start: dt.date, end: dt.date
) -> dict[str, Any]:
    known = q.known_packages(snap)
    found = [n for n in names if n in known]
    entries = _package_entries(snap, kind, found, start, end) if found else {}
    if not bulk:
        return entries[names[0]]
    return {name: entries.get(name) for name in names}


def _package_entries(
    snap: Snapshot, kind: str, names: list[str], start: dt.date, end: dt.date
) -> dict[str, dict[str, Any]]:
    daily = q.daily_counts(snap, names, start, end)
    months = whole_months(start, end)
    monthly = q.monthly_stats(snap, names, start, end, monthly=True) if months else {}
    yearly = _calendar_year_ips(snap, names, start, end)
    out = {}
    for name in names:
        counts = daily[name]
        entry: dict[str, Any] = {
            "package": name,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        if kind == "point":
            entry["downloads"] = sum(counts.values())
        else:
            entry["downloads"] = [
                {"day": d.isoformat(), "downloads": counts.get(d, 0)} for d in days(start, end)
            ]
        if months:
            entry["months"] = _month_entries(months, monthly[name])
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
    months: list[dt.date], stats: dict[dt.date, q.MonthStat]
) -> list[dict[str, Any]]:
    """Monthly rows of `stats` over the period; months without downloads are zeros."""
    zero = q.MonthStat(dt.date.min, 0, 0)
    return [
        {
            "month": m.strftime("%Y-%m"),
            "downloads": stats.get(m, zero).downloads,
            "distinct_ips": stats.get(m, zero).distinct_ips,
        }
        for m in months
    ]


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
    start, end = parse_period(period, snap.valid_thru, None)
    category = _arg("category", required=False)
    if category is not None and category not in q.known_categories(snap):
        categories = ", ".join(sorted(q.known_categories(snap)))
        raise ApiError(f"invalid category; expected one of: {categories}")
    key = ("top", start, end, count, category)
    return _respond(snap, key, lambda: _top_payload(snap, start, end, count, category))


def _top_payload(
    snap: Snapshot, start: dt.date, end: dt.date, count: int, category: str | None
) -> dict[str, Any]:
    ranked = q.package_totals(snap, start, end, category)[:count]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "category": category,
        "packages": [
            {"rank": i + 1, "package": e.package, "category": e.category, "downloads": e.downloads}
            for i, e in enumerate(ranked)
        ],
    }


# ---------------------------------------------------------------- the API's description


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document; it does not depend on the data, only on this code."""
    resp = Response(_json_bytes(openapi_document()), mimetype="application/json")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Unknown API paths (and methods other than GET) answer in JSON, like everything here."""
    if request.method != "GET":
        return _error("method not allowed", 405)
    return _error("not found", 404)
