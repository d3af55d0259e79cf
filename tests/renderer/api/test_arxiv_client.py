"""The arXiv usage dashboard's React frontend, as a client of this API (SPEC 6).

The frontend (repository arXiv/student-projects, folder `stats-project/frontend`, branch
`Development`) is not part of this repository; `docs/api.md` ("Real client: the arXiv
dashboard") lists what it requests and what it reads, file by file. Here those exact requests
(same paths, same query strings, encoded as its `fetch` calls encode them) are replayed against
a real Waitress server on the legacy example data, on both engines, and every field its charts
parse is checked for the type its code needs: a bar chart needs numbers, the category chart
calls `category.split('.')` (a string, never null), the monthly chart hands `time_group` to
`new Date()` (an ISO date), and the hourly chart treats `[]` as "No data available" and plots
`hour` against a fixed 1..24 axis.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

#: the requests of the five charts (src/components/charts/*.js), API base excluded
MONTHLY = "/get_global_sum?model=hourly&time_group=month"  # MonthlyDownloads.js
COUNTRY = "/get_data?model=hourly&group_by=country"  # DownloadsByCountry.js
CATEGORY = "/get_data?model=hourly&group_by=category"  # DownloadsByCategory.js
ARCHIVE = "/get_data?model=hourly&group_by=archive"  # DownloadsByArchive.js


def hourly(zone: str, day: dt.date) -> str:
    """HourlyUsageRates.js: `get_daily_downloads?timezone=${encodeURIComponent(tz)}&date=...`"""
    return f"/get_daily_downloads?timezone={urllib.parse.quote(zone, safe='')}&date={day}"


@pytest.fixture
def api(legacy_warehouse, serve):
    """GET `path` under /api on a live server: (status, headers, parsed JSON body)."""
    with serve(legacy_warehouse.settings) as server:

        def get(path: str):
            status, headers, body = fetch_url(server.url("/api" + path))
            return status, headers, json.loads(body)

        yield get, legacy_warehouse


def fetch_url(url: str):
    """A cross-origin GET as the browser sends it (with an Origin header)."""
    req = urllib.request.Request(url, headers={"Origin": "http://127.0.0.1:3000"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def ok(api_get, path: str):
    """`response.ok`, readable cross-origin (the built frontend runs on another origin)."""
    status, headers, data = api_get(path)
    assert status == 200, (path, data)
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    return data


def is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def test_the_five_charts_requests(api):
    get, w = api
    total = w.rows("select sum(downloads) from hourly_downloads")[0][0]

    months = ok(get, MONTHLY)
    assert months and all(is_count(m["total_sum"]) for m in months)
    assert all(re.fullmatch(r"\d{4}-\d{2}-01", m["time_group"]) for m in months)
    assert sum(m["total_sum"] for m in months) == total

    categories = ok(get, CATEGORY)
    assert {c["category"] for c in categories} == {"bioc", "annotation", "experiment", "workflows"}
    assert all(isinstance(c["category"], str) and is_count(c["data"]) for c in categories)
    archives = ok(get, ARCHIVE)
    assert archives == [{"archive": c["category"], "data": c["data"]} for c in categories]
    assert sum(c["data"] for c in archives) == total

    # the map: English country names (looked up at load; docs/dimensions.md), the unknown
    # ones (private and documentation addresses) one null group, which the map leaves blank
    countries = ok(get, COUNTRY)
    assert sum(c["data"] for c in countries) == total
    names = [c["country"] for c in countries if c["country"] is not None]
    assert len(names) > 10 and len(set(names)) == len(names)
    known = {r[0] for r in w.rows("select country_name from countries")}
    assert set(names) <= known


def test_hourly_chart_days(api):
    get, w = api
    valid_thru = dt.date.fromisoformat(str(w.rows("select valid_thru from webstats_info")[0][0]))
    # the default view: today in the browser's zone, after the last loaded day
    today = dt.datetime.now(dt.UTC).date()
    assert ok(get, hourly("America/New_York", today)) == []
    assert ok(get, hourly("UTC", valid_thru + dt.timedelta(days=1))) == []
    # "Previous" back to the last loaded day: 24 bars, hour 1..24, counting that UTC day
    for zone in ("UTC", "Europe/Berlin", "Asia/Kolkata"):
        data = ok(get, hourly(zone, valid_thru))
        assert [d["hour"] for d in data] == list(range(1, 25))
        assert all(is_count(d["total_primary"]) for d in data)
    day_total = w.rows(
        "select sum(downloads) from hourly_downloads where cast(hour_at as date) = "
        f"cast('{valid_thru}' as date)"
    )[0][0]
    assert sum(d["total_primary"] for d in ok(get, hourly("UTC", valid_thru))) == day_total > 0
