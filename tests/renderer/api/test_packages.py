"""Per-package endpoints (point, range, bulk) and the top list on the hand-made data.

valid_thru is 2024-11-04, so last-day = 11-04, last-week = 10-29..11-04, last-month =
10-06..11-04, last-year = 2023-11-06..2024-11-04. Event numbers refer to EVENTS in conftest.py.
"""

from __future__ import annotations

import pytest


def get(client, url: str, status: int = 200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()


@pytest.mark.parametrize(
    ("period", "package", "start", "downloads"),
    [
        ("last-day", "alpha", "2024-11-04", 0),
        ("last-day", "deltaData", "2024-11-04", 1),  # 20
        ("last-week", "alpha", "2024-10-29", 2),  # 18, 19
        ("last-month", "alpha", "2024-10-06", 4),  # 15, 16, 18, 19
        ("last-month", "beta", "2024-10-06", 1),  # 17
        ("last-year", "alpha", "2023-11-06", 12),  # every alpha event
        ("last-year", "unused", "2023-11-06", 0),  # in the manifest, never downloaded
    ],
)
def test_point_named_periods(client, period, package, start, downloads):
    assert get(client, f"/api/downloads/point/{period}/{package}") == {
        "package": package,
        "start": start,
        "end": "2024-11-04",
        "downloads": downloads,
    }


def test_point_one_month_has_distinct_ips(client):
    # alpha in March: 1 (.1), 2 (.2), 3 (.1), 6 (.2), 7 (.1) -> 5 downloads, 2 IPs
    assert get(client, "/api/downloads/point/2024-03-01:2024-03-31/alpha") == {
        "package": "alpha",
        "start": "2024-03-01",
        "end": "2024-03-31",
        "downloads": 5,
        "months": [{"month": "2024-03", "downloads": 5, "distinct_ips": 2}],
        "distinct_ips": 2,
    }


def test_point_calendar_year_uses_the_yearly_ip_count(client):
    data = get(client, "/api/downloads/point/2024-01-01:2024-12-31/alpha")
    assert data["downloads"] == 11
    assert data["distinct_ips"] == 3  # .1, .2, .5 (not the sum of the months: 2+1+1+2)
    months = {m["month"]: (m["downloads"], m["distinct_ips"]) for m in data["months"]}
    assert len(months) == 12
    assert {k: v for k, v in months.items() if v != (0, 0)} == {
        "2024-03": (5, 2),
        "2024-05": (2, 1),
        "2024-10": (2, 1),
        "2024-11": (2, 2),
    }


def test_point_several_months_has_only_the_month_list(client):
    data = get(client, "/api/downloads/point/2024-03-01:2024-05-31/beta")
    assert data["downloads"] == 4  # 4, 8, 12, 13
    assert "distinct_ips" not in data
    assert data["months"] == [
        {"month": "2024-03", "downloads": 2, "distinct_ips": 2},
        {"month": "2024-04", "downloads": 0, "distinct_ips": 0},
        {"month": "2024-05", "downloads": 2, "distinct_ips": 2},
    ]


def test_point_partial_month_has_no_ip_counts(client):
    data = get(client, "/api/downloads/point/2024-03-02:2024-03-31/alpha")
    assert data == {"package": "alpha", "start": "2024-03-02", "end": "2024-03-31", "downloads": 5}


def test_range_days_without_logs_are_null_and_logged_days_without_downloads_zero(client):
    assert get(client, "/api/downloads/range/2024-03-09:2024-03-11/alpha") == {
        "package": "alpha",
        "start": "2024-03-09",
        "end": "2024-03-11",
        "downloads": [
            {"day": "2024-03-09", "downloads": None},  # no log line that day: unknown
            {"day": "2024-03-10", "downloads": 3},  # 1, 2, 3 (UTC days)
            {"day": "2024-03-11", "downloads": 1},  # 6
        ],
    }
    # QUIET_DAY: logs loaded, no download at all
    quiet = get(client, "/api/downloads/range/2024-11-01:2024-11-01/alpha")["downloads"]
    assert quiet == [{"day": "2024-11-01", "downloads": 0}]


def test_range_named_period(client):
    data = get(client, "/api/downloads/range/last-week/alpha")
    assert [d["day"] for d in data["downloads"]][0] == "2024-10-29"
    assert len(data["downloads"]) == 7
    assert {d["day"]: d["downloads"] for d in data["downloads"] if d["downloads"]} == {
        "2024-11-03": 2
    }


def test_range_of_18_months_is_allowed(client):
    data = get(client, "/api/downloads/range/2023-06-01:2024-11-30/gamma.db")
    assert len(data["downloads"]) == 549
    assert sum(d["downloads"] or 0 for d in data["downloads"]) == 3
    assert len(data["months"]) == 18


def test_bulk_point(client):
    data = get(client, "/api/downloads/point/2024-03-01:2024-03-31/alpha,beta,nosuch,unused")
    assert list(data) == ["alpha", "beta", "nosuch", "unused"]
    assert data["alpha"]["downloads"] == 5
    assert data["beta"] == {
        "package": "beta",
        "start": "2024-03-01",
        "end": "2024-03-31",
        "downloads": 2,  # 4 (.3), 8 (.2)
        "months": [{"month": "2024-03", "downloads": 2, "distinct_ips": 2}],
        "distinct_ips": 2,
    }
    assert data["nosuch"] is None
    assert data["unused"]["downloads"] == 0
    assert data["unused"]["distinct_ips"] == 0


def test_bulk_range_and_unknown_only(client):
    data = get(client, "/api/downloads/range/2024-05-14:2024-05-15/beta,gamma.db")
    assert data["beta"]["downloads"] == [
        {"day": "2024-05-14", "downloads": 0},  # logs that day (other packages)
        {"day": "2024-05-15", "downloads": 2},
    ]
    assert data["gamma.db"]["downloads"][1] == {"day": "2024-05-15", "downloads": 1}
    assert get(client, "/api/downloads/point/last-day/nosuch,other") == {
        "nosuch": None,
        "other": None,
    }


def test_bulk_of_128_names(client):
    names = ["alpha"] + [f"pkg{i}" for i in range(127)]
    data = get(client, "/api/downloads/point/last-year/" + ",".join(names))
    assert len(data) == 128
    assert data["alpha"]["downloads"] == 12
    assert data["pkg5"] is None


def test_single_unknown_package_is_404(client):
    assert get(client, "/api/downloads/point/last-day/nosuch", 404) == {
        "error": "package not found"
    }
    assert get(client, "/api/downloads/range/last-day/Alpha", 404) == {"error": "package not found"}


def test_top(client):
    # last year: alpha 12, beta 5 (4, 8, 12, 13, 17), deltaData 2, gamma.db 2 (22 is older)
    assert get(client, "/api/top/last-year/3") == {
        "start": "2023-11-06",
        "end": "2024-11-04",
        "category": None,
        "packages": [
            {"rank": 1, "package": "alpha", "category": "bioc", "downloads": 12},
            {"rank": 2, "package": "beta", "category": "bioc", "downloads": 5},
            {"rank": 3, "package": "deltaData", "category": "experiment", "downloads": 2},
        ],
        # cranlogs' shape of the same list
        "downloads": [
            {"package": "alpha", "downloads": 12},
            {"package": "beta", "downloads": 5},
            {"package": "deltaData", "downloads": 2},
        ],
    }


def test_top_by_category_and_explicit_period(client):
    data = get(client, "/api/top/2023-01-01:2024-12-31/500?category=annotation")
    assert data["category"] == "annotation"
    assert data["packages"] == [
        {"rank": 1, "package": "gamma.db", "category": "annotation", "downloads": 3}
    ]
    assert get(client, "/api/top/last-day/10?category=workflows")["packages"] == []
