"""Hostile requests are bounded or refused (issue 15): long periods, dates at the ends of the
calendar, empty and repeated parameters, other methods, and the byte-bounded answer cache.

All run on the directly written DuckDB marts through the Flask test client (cheap); the
engines' answers are compared elsewhere.
"""

from __future__ import annotations

import os
import threading

import pytest
from flask import request

from renderer.api import blueprint
from renderer.api.params import BULK_MAX
from renderer.app import create_app
from renderer.cache import LRU

NAMES = ",".join(["alpha", "beta", *(f"p{i}" for i in range(BULK_MAX - 2))])


@pytest.fixture
def api(api_warehouses):
    app = create_app(api_warehouses("fixture-duckdb"))
    app.testing = True
    return app.test_client()


def error(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    return resp.get_json()["error"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        # the 629 MB answer: 8,000 years of months for 128 packages
        (f"/api/downloads/point/1970-01-01:9998-12-31/{NAMES}", "covers at most 360 months"),
        ("/api/top/1970-01-01:9998-12-31/500", "covers at most 360 months"),
        ("/api/downloads/range/2023-06-01:2024-12-01/alpha", "covers at most 18 months"),
        # the 500 (add_months past 9999-12-31)
        ("/api/downloads/range/9998-12-01:9998-12-31/DEP", None),
        ("/api/downloads/point/0001-01-01:0001-01-31/alpha", "between 1970-01-01"),
        ("/api/downloads/point/9999-12-01:9999-12-31/alpha", "between 1970-01-01"),
        ("/api/get_daily_downloads?date=", "empty parameter: date"),
        ("/api/get_data?model=downloads&group_by=category&time_group=", "empty parameter"),
        ("/api/get_data?model=downloads&model=downloads&group_by=category", "repeated"),
        ("/api/get_daily_downloads?timezone=UTC&timezone=UTC", "repeated parameter: timezone"),
        ("/api/top/last-day/3?category=", "empty parameter: category"),
    ],
)
def test_refused_with_a_message(api, url, message):
    if message is None:  # an unknown single package after a valid period: 404, not 500
        assert error(api.get(url), 404) == "package not found"
        return
    assert message in error(api.get(url), 400)


def test_longest_allowed_answers_are_small(api):
    point = api.get(f"/api/downloads/point/1995-01-01:2024-12-31/{NAMES}")
    assert point.status_code == 200
    assert len(point.get_json()["alpha"]["months"]) == 360
    assert len(point.data) < 5_000_000
    rng = api.get(f"/api/downloads/range/2023-06-01:2024-11-30/{NAMES}")
    assert rng.status_code == 200 and len(rng.get_json()["beta"]["downloads"]) == 549
    assert len(rng.data) < 5_000_000
    edge = api.get("/api/downloads/range/9998-06-01:9998-12-31/alpha")
    assert edge.status_code == 200 and len(edge.get_json()["downloads"]) == 214


def test_get_data_refuses_too_many_groups(api, monkeypatch):
    """A grouping finer than GET_DATA_MAX_GROUPS is refused before it is computed (on the
    benchmark marts, every package per day was 210 MB in 205 s; docs/benchmarks.md)."""
    url = "/api/get_data?model=downloads&group_by=package&time_group=day"
    rows = len(api.get(url).get_json())
    assert rows > 3
    monkeypatch.setattr(blueprint, "GET_DATA_MAX_GROUPS", rows - 1)
    fresh = create_app(api.application.config["WEBSTATS_SETTINGS"]).test_client()
    assert "too many groups; get_data answers at most" in error(fresh.get(url), 400)
    monkeypatch.setattr(blueprint, "GET_DATA_MAX_GROUPS", rows)
    assert fresh.get(url).status_code == 200


def test_other_methods_say_what_is_allowed(api):
    resp = api.put("/api/get_data?model=downloads&group_by=category")
    assert "not allowed" in error(resp, 405)
    assert set(resp.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    options = api.options("/api/top/last-day/3")
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert options.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_answer_cache_is_bounded_in_bytes():
    lru = LRU(1000, len, lambda key: len(repr(key)))
    for i in range(100):
        lru.put(("k", i), b"x" * 90)
    assert lru._weight <= 1000 and len(lru._data) == 10  # 90 bytes + 10 of key each
    assert lru.put(("big",), b"x" * 2000) == b"x" * 2000 and ("big",) not in lru._data


def test_busy_compute_slots_shed_load(api):
    """With every compute slot taken, an uncached answer is 503 + Retry-After at once, and
    an answer already cached is still served."""
    assert api.get("/api/top/last-year/5").status_code == 200
    for _ in range(blueprint.COMPUTE_SLOTS):
        assert blueprint._compute_slots.acquire(blocking=False)
    try:
        busy = api.get("/api/top/last-year/6")
        assert error(busy, 503).startswith("the server is busy")
        assert busy.headers["Retry-After"] == "1"
        assert api.get("/api/top/last-year/5").status_code == 200
    finally:
        for _ in range(blueprint.COMPUTE_SLOTS):
            blueprint._compute_slots.release()
    assert api.get("/api/top/last-year/6").status_code == 200


def test_answers_are_computed_at_lower_cpu_priority(api, monkeypatch):
    """An uncached answer runs in a compute thread niced below the request threads, with the
    request's context (page views keep the CPU first under a flood of API requests)."""
    seen: list[tuple[int, int, str]] = []
    real = blueprint.q.package_totals

    def recording(*args, **kwargs):
        thread = threading.get_native_id()
        seen.append((thread, os.getpriority(os.PRIO_PROCESS, thread), request.path))
        return real(*args, **kwargs)

    monkeypatch.setattr(blueprint.q, "package_totals", recording)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    resp = api.get("/api/top/last-year/7")
    assert resp.status_code == 200 and resp.get_json()["packages"]
    ((tid, niceness, path),) = seen
    assert tid != threading.get_native_id() and path == "/api/top/last-year/7"
    assert niceness == min(19, mine + blueprint.COMPUTE_NICENESS)
