"""The cranlogs-compatible endpoints on the hand-made data (docs/api.md).

valid_thru is 2024-11-04. Logs were loaded for the days with events and for QUIET_DAY
(2024-11-01, no download): the other days have no loaded logs (log_coverage), their counts
are unknown, `null`; a loaded day without downloads is 0. Event numbers refer to EVENTS in
conftest.py.
"""

from __future__ import annotations

from renderer.api.cranlogs import POST_MAX


def get(client, url: str, status: int = 200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()


def post(client, url: str, body, status: int = 200):
    resp = client.post(url, json=body)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()


def series(*pairs):
    return [{"day": d, "downloads": n} for d, n in pairs]


def test_daily_one_package(client):
    assert get(client, "/api/downloads/daily/last-week/alpha") == [
        {
            "start": "2024-10-29",
            "end": "2024-11-04",
            "downloads": series(
                ("2024-10-29", None),  # no logs loaded
                ("2024-10-30", None),
                ("2024-10-31", None),
                ("2024-11-01", 0),  # loaded, no download
                ("2024-11-02", None),
                ("2024-11-03", 2),
                ("2024-11-04", 0),
            ),  # fmt: skip
            "package": "alpha",  # 18, 19
        }
    ]


def test_daily_nulls_outside_the_loaded_days(client):
    data = get(client, "/api/downloads/daily/2024-11-03:2024-11-06/alpha,beta,nosuch")
    assert [e["package"] for e in data] == ["alpha", "beta", "nosuch"]
    assert data[0]["downloads"] == series(
        ("2024-11-03", 2), ("2024-11-04", 0), ("2024-11-05", None), ("2024-11-06", None)
    )
    assert [d["downloads"] for d in data[1]["downloads"]] == [0, 0, None, None]
    assert [d["downloads"] for d in data[2]["downloads"]] == [0, 0, None, None]  # as cranlogs
    before = get(client, "/api/downloads/daily/2023-05-31:2023-06-01/gamma.db")
    assert before[0]["downloads"] == series(("2023-05-31", None), ("2023-06-01", 1))  # 22


def test_days_without_logs_inside_the_loaded_span_are_null(client):
    data = get(client, "/api/downloads/daily/2024-10-26:2024-11-02")
    assert [d["downloads"] for d in data[0]["downloads"]] == [
        None, 3, None, None, None, None, 0, None  # 15-17 on 10-27, QUIET_DAY 11-01
    ]  # fmt: skip
    # a total sums the loaded days; only days without logs: unknown
    assert get(client, "/api/downloads/total/2024-10-28:2024-11-02/alpha")[0]["downloads"] == 0
    assert get(client, "/api/downloads/total/2024-10-28:2024-10-31/alpha")[0]["downloads"] is None


def test_daily_and_total_of_all_packages(client):
    assert get(client, "/api/downloads/daily/2024-03-10:2024-03-11") == [
        {
            "start": "2024-03-10",
            "end": "2024-03-11",
            "downloads": series(("2024-03-10", 4), ("2024-03-11", 2)),  # 1-4, 5-6
        }
    ]
    assert get(client, "/api/downloads/total/2024-11-04") == [
        {"start": "2024-11-04", "end": "2024-11-04", "downloads": 1}  # 20
    ]


def test_total(client):
    assert get(client, "/api/downloads/total/last-year/alpha,gamma.db") == [
        {"start": "2023-11-06", "end": "2024-11-04", "downloads": 12, "package": "alpha"},
        {"start": "2023-11-06", "end": "2024-11-04", "downloads": 2, "package": "gamma.db"},
    ]
    # no day of the period was loaded: unknown, not 0
    assert get(client, "/api/downloads/total/2025-01-01:2025-01-31/alpha")[0]["downloads"] is None


def test_post_many_packages(client):
    names = ["alpha", "beta", *(f"pkg{i}" for i in range(POST_MAX - 2))]
    data = post(client, "/api/downloads/total/last-year", {"packages": names})
    assert len(data) == POST_MAX
    assert data[:2] == [
        {"start": "2023-11-06", "end": "2024-11-04", "downloads": 12, "package": "alpha"},
        {"start": "2023-11-06", "end": "2024-11-04", "downloads": 5, "package": "beta"},
    ]
    assert {e["downloads"] for e in data[2:]} == {0}
    daily = post(client, "/api/downloads/daily/last-week", {"packages": ["alpha"]})
    assert daily == get(client, "/api/downloads/daily/last-week/alpha")


def test_bad_requests_are_400(client):
    too_many = {"packages": [f"p{i}" for i in range(POST_MAX + 1)]}
    assert "at most 5000" in post(client, "/api/downloads/total/last-week", too_many, 400)["error"]
    for body in ({}, {"packages": "alpha"}, {"packages": [1]}, {"packages": ["a b"]}, []):
        post(client, "/api/downloads/daily/last-week", body, 400)
    assert client.post("/api/downloads/daily/last-week", data="{").status_code == 400
    # packages x days is bounded: 549 days x 1000 names
    big = {"packages": [f"p{i}" for i in range(1000)]}
    post(client, "/api/downloads/daily/2023-06-01:2024-11-30", big, 400)
    get(client, "/api/downloads/daily/2023-01-01:2024-12-31/alpha", 400)  # > 18 months
    get(client, "/api/downloads/total/2024-13-01/alpha", 400)
    get(client, "/api/downloads/daily/yesterday/alpha", 400)
