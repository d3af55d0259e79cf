"""Request parameters of the API: what is accepted, checked before anything runs.

Every value is checked against an allow-list or a strict pattern; bad input is an ApiError
(a 400 `{"error": ...}`) that names what was expected, never what broke inside. The limits
here are the ones the OpenAPI document advertises (openapi.py reads them).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence
from functools import cache

from flask import request

GET_DATA_TIME_GROUPS = ("year", "month", "day")
GLOBAL_SUM_TIME_GROUPS = ("year", "month", "day", "hour")
NAMED_PERIODS = {"last-day": 0, "last-week": 6, "last-month": 29, "last-year": 364}
RANGE_MAX_MONTHS = 18
# A point or top period covers at most this many months (30 years: every year of Bioconductor
# and more): the answer's per-month list, and so its size and cost, stays bounded.
PERIOD_MAX_MONTHS = 360
BULK_MAX = 128
# get_data answers at most this many groups (about 3 MB of JSON); a finer grouping of the
# data (say every package per day) is refused with 400, before anything is computed.
GET_DATA_MAX_GROUPS = 50_000
TOP_MAX = 500
MIN_DATE, MAX_DATE = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
PACKAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]{0,127}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The dates parse_date accepts, as one regular expression for the OpenAPI document: exactly
# the calendar days from MIN_DATE to MAX_DATE (tests/renderer/api/test_limits.py checks every
# day of 1960-9999 against parse_date), so a schema-valid date is never refused.
_YEAR = r"(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_LEAP_YEAR = (
    r"(19(7[26]|8[048]|9[26])|[2-9][0-9](0[48]|[2468][048]|[13579][26])"
    r"|(2[048]|[3579][26]|[468][048])00)"
)
DATE_PATTERN = (
    rf"({_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|{_YEAR}-(0[13-9]|1[0-2])-(29|30)"
    rf"|{_YEAR}-(0[13578]|1[02])-31|{_LEAP_YEAR}-02-29)"
)


# The client dimensions a request may filter by (docs/api.md), each value's pattern: a
# value outside it is a 400, so no filter ever reaches SQL unchecked (it is bound anyway).
# `filter` is who downloaded: `people` leaves out the downloads flagged as likely
# automation (docs/rules.md, likely automation), `all` (the default) counts every one.
FILTER_PATTERNS: dict[str, str] = {
    "client": "R|curl|wget|browser|other",
    "r_version": "[0-9]{1,2}[.][0-9]{1,2}",
    "os": "linux|windows|macos|other",
    "arch": "aarch64|x86_64|i386",
    "country": "[A-Z]{2}",
    "edge_country": "[A-Z]{2}",
    "filter": "people|all",
}
#: the value of `filter` that is no filter: today's numbers, every download
FILTER_ALL = "all"


class ApiError(Exception):
    """A client error with a message that is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def arg(name: str, required: bool = True) -> str | None:
    """The one value of query parameter `name`: absent is None (or a 400 when required);
    present but empty, or given twice, is a 400, as the OpenAPI document says."""
    values = request.args.getlist(name)
    if not values:
        if required:
            raise ApiError(f"missing parameter: {name}")
        return None
    if len(values) > 1:
        raise ApiError(f"repeated parameter: {name}; give it once")
    if values[0] == "":
        raise ApiError(f"empty parameter: {name}; leave it out or give a value")
    return values[0]


def choice(name: str, allowed: Sequence[str], required: bool = True) -> str | None:
    """A parameter whose value must be one of `allowed` (the input is never echoed)."""
    value = arg(name, required)
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
def zone_names() -> frozenset[str]:
    """The IANA zone names accepted (the tz database of the `tzdata` package or the system)."""
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def parse_zone(name: str) -> zoneinfo.ZoneInfo:
    """Any IANA zone known to the system's tz database; nothing else reaches zoneinfo."""
    if name not in zone_names():
        raise ApiError("invalid timezone; expected an IANA time zone name such as Europe/Berlin")
    return zoneinfo.ZoneInfo(name)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        # Past the calendar's last day (9999-12-31): every date comes before it.
        return dt.date.max if months > 0 else dt.date.min
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def parse_period(text: str, valid_thru: dt.date, max_months: int) -> tuple[dt.date, dt.date]:
    """A named period ending at the data's last day, or an explicit `start:end` (inclusive).

    An explicit period may not reach `max_months` months past its start (2023-06-01 with 18
    months ends at 2024-11-30 at the latest): the answer's size is bounded by the period.
    """
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
    if end >= add_months(start, max_months):
        raise ApiError(f"invalid period; it covers at most {max_months} months")
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


def parse_filters() -> dict[str, str]:
    """The client-dimension filters of the request (FILTER_PATTERNS), by name; `filter=all`
    is the same as no `filter` (and answers from the same cache entry)."""
    out = {}
    for name, pattern in FILTER_PATTERNS.items():
        value = arg(name, required=False)
        if value is None:
            continue
        if not re.fullmatch(pattern, value):
            raise ApiError(f"invalid {name}; expected a value matching ^({pattern})$")
        if name == "filter" and value == FILTER_ALL:
            continue
        out[name] = value
    return out
