"""Answers in the shape of cranlogs (the CRAN downloads API), so its clients and the tools built
on them work with Bioconductor packages (docs/api.md, "cranlogs-compatible endpoints").

cranlogs answers `[{start, end, downloads: [{day, downloads}], package}]` (daily) and
`[{start, end, downloads, package}]` (total); without packages, one entry for all packages and
no `package` key. Ours differ in one deliberate way: a day without loaded logs (before the
first loaded day, after `valid_thru`, or a day inside whose logs never arrived: no row in
log_coverage) is `null`, not 0, because nobody knows its count; a zero is a day that was
loaded and had no downloads.

The routes live in blueprint.py; this module builds the payloads and checks the inputs that are
particular to these endpoints (a single-day period, the JSON body of a bulk POST).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from renderer.api import queries as q
from renderer.api.params import DATE_RE, PACKAGE_RE, ApiError, days, parse_period
from renderer.snapshot import Snapshot

#: names in one POST body (cranlogs' GET fails above ~900 names with HTTP 414)
POST_MAX = 5000
#: package-days in one daily answer: bounds the cost of a request whatever its shape
DAILY_CELLS_MAX = 400_000
DAILY_MAX_MONTHS = 18


def parse_cran_period(text: str, valid_thru: dt.date, max_months: int):
    """Our periods, plus cranlogs' single day `YYYY-MM-DD`."""
    if DATE_RE.fullmatch(text):
        text = f"{text}:{text}"
    return parse_period(text, valid_thru, max_months)


def body_packages(body: Any) -> list[str]:
    """The names of a bulk POST: `{"packages": ["a", "b", ...]}`, at most POST_MAX."""
    names = body.get("packages") if isinstance(body, dict) else None
    if not isinstance(names, list) or not names:
        raise ApiError('invalid body; expected JSON {"packages": ["name", ...]}')
    if len(names) > POST_MAX:
        raise ApiError(f"too many packages; a POST takes at most {POST_MAX}")
    if not all(isinstance(n, str) and PACKAGE_RE.fullmatch(n) for n in names):
        raise ApiError("invalid package name; expected letters, digits and dots")
    return list(dict.fromkeys(names))


def check_daily_size(names: Sequence[str] | None, start: dt.date, end: dt.date) -> None:
    cells = (len(names) if names else 1) * ((end - start).days + 1)
    if cells > DAILY_CELLS_MAX:
        raise ApiError(
            f"too large; packages x days must be at most {DAILY_CELLS_MAX:,} per request"
        )


def _day_counts(
    snap: Snapshot,
    names: Sequence[str] | None,
    start: dt.date,
    end: dt.date,
    filters: dict[str, str],
) -> dict[str | None, dict[dt.date, int]]:
    if names is None:
        return {None: q.daily_totals(snap, start, end, filters)}
    known = q.known_packages(snap)
    found = [n for n in names if n in known]
    counts: dict[str | None, dict[dt.date, int]] = {n: {} for n in names}
    if found:
        counts.update(q.daily_counts(snap, found, start, end, filters))
    return counts


def _entry(name: str | None, start: dt.date, end: dt.date, downloads: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
    entry["downloads"] = downloads
    if name is not None:
        entry["package"] = name
    return entry


def daily_payload(
    snap: Snapshot,
    names: Sequence[str] | None,
    start: dt.date,
    end: dt.date,
    filters: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per package (or one for all), every day of the period, null on the days
    without loaded logs. A name the manifest does not know is all zeros on the loaded days,
    as cranlogs answers it."""
    coverage = q.log_coverage(snap)
    period = days(start, end)
    out = []
    for name, counts in _day_counts(snap, names, start, end, filters or {}).items():
        series = [
            {"day": d.isoformat(), "downloads": counts.get(d, 0) if d in coverage else None}
            for d in period
        ]
        out.append(_entry(name, start, end, series))
    return out


def total_payload(
    snap: Snapshot,
    names: Sequence[str] | None,
    start: dt.date,
    end: dt.date,
    filters: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per package (or one for all): the sum over the loaded days of the period,
    `null` when no day of it was loaded."""
    coverage = q.log_coverage(snap)
    covered = any(d in coverage for d in days(start, end))
    out = []
    for name, counts in _day_counts(snap, names, start, end, filters or {}).items():
        out.append(_entry(name, start, end, sum(counts.values()) if covered else None))
    return out
