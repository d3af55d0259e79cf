"""HTTP behaviour of the API: CORS, content type, conditional GET, caching per build."""

from __future__ import annotations

import datetime as dt

from renderer.api import queries as api_queries

URL = "/api/get_data?model=downloads&group_by=category"


def test_headers(client):
    resp = client.get(URL)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Last-Modified"] == "Tue, 05 Nov 2024 00:00:00 GMT"  # the as-of day
    assert resp.headers["ETag"].startswith('"')


def test_preflight(client):
    resp = client.options(URL, headers={"Origin": "https://example.org"})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]


def test_conditional_get(client):
    first = client.get(URL)
    etag = first.headers["ETag"]
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(URL, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(URL, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.data == first.data


def test_etags_differ_per_query(client):
    a = client.get(URL).headers["ETag"]
    b = client.get(URL + "&time_group=year").headers["ETag"]
    c = client.get("/api/get_daily_downloads?date=2024-05-15&timezone=Asia/Kolkata")
    assert len({a, b, c.headers["ETag"]}) == 3


def test_responses_are_cached_per_build(client, monkeypatch):
    """The second identical request is served without a query."""
    first = client.get("/api/top/last-year/3").data
    calls = []
    original = api_queries.package_totals

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(api_queries, "package_totals", counting)
    assert client.get("/api/top/last-year/3").data == first
    assert calls == []
    client.get("/api/top/last-year/4")
    assert len(calls) == 1


def test_head(client):
    resp = client.head(URL)
    assert resp.status_code == 200
    assert resp.data == b""
    assert int(resp.headers["Content-Length"]) > 0


def test_errors_are_not_cacheable(client):
    resp = client.get("/api/get_data")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "ETag" not in resp.headers


def test_daily_default_date_is_today_in_the_zone(client):
    zone = "Pacific/Kiritimati"  # +14:00: often a different date than UTC
    from zoneinfo import ZoneInfo

    before = dt.datetime.now(ZoneInfo(zone)).date()
    a = client.get(f"/api/get_daily_downloads?timezone={zone}")
    b = client.get(f"/api/get_daily_downloads?timezone={zone}&date={before.isoformat()}")
    after = dt.datetime.now(ZoneInfo(zone)).date()
    if before == after:
        assert a.headers["ETag"] == b.headers["ETag"]
        assert a.data == b.data
