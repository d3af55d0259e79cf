"""get_data, get_global_sum and get_daily_downloads on the hand-made data (docs/rules.md).

Every expected value was worked out by hand from the event list in conftest.py (numbers in the
comments are the event numbers there); each test runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import re

import pytest


def get(client, url: str):
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()


def test_get_data_one_column(client):
    assert get(client, "/api/get_data?model=downloads&group_by=category") == [
        {"category": "annotation", "data": 3},  # 5, 14, 22
        {"category": "bioc", "data": 17},
        {"category": "experiment", "data": 2},  # 9, 20
    ]


def test_get_data_per_year(client):
    assert get(client, "/api/get_data?model=downloads&group_by=category&time_group=year") == [
        {"category": "annotation", "data": 1, "time_group": "2023"},  # 22
        {"category": "bioc", "data": 1, "time_group": "2023"},  # 21
        {"category": "annotation", "data": 2, "time_group": "2024"},
        {"category": "bioc", "data": 16, "time_group": "2024"},
        {"category": "experiment", "data": 2, "time_group": "2024"},
    ]


def test_get_data_per_month(client):
    url = "/api/get_data?model=downloads&group_by=bioc_version&time_group=month"
    assert get(client, url) == [
        {"bioc_version": "3.17", "data": 1, "time_group": "2023-06-01"},
        {"bioc_version": "3.18", "data": 1, "time_group": "2023-12-01"},
        {"bioc_version": "3.18", "data": 9, "time_group": "2024-03-01"},  # 1..9
        {"bioc_version": "3.19", "data": 5, "time_group": "2024-05-01"},  # 10..14
        {"bioc_version": "3.19", "data": 3, "time_group": "2024-10-01"},  # 15..17
        {"bioc_version": "3.20", "data": 3, "time_group": "2024-11-01"},  # 18..20
    ]


def test_get_data_per_day(client):
    url = "/api/get_data?model=downloads&group_by=package&time_group=day"
    data = get(client, url)
    assert data[:3] == [
        {"package": "gamma.db", "data": 1, "time_group": "2023-06-01"},
        {"package": "alpha", "data": 1, "time_group": "2023-12-31"},
        {"package": "alpha", "data": 3, "time_group": "2024-03-10"},  # 1, 2, 3
    ]
    assert {"package": "beta", "data": 1, "time_group": "2024-03-10"} in data  # 4
    assert sum(e["data"] for e in data) == 22


def test_get_data_second_group_by(client):
    url = "/api/get_data?model=downloads&group_by=category&second_group_by=download_type"
    assert get(client, url) == [
        {"category": "annotation", "download_type": ["source"], "data": [3]},
        {
            "category": "bioc",
            "download_type": ["mac.binary", "source", "win.binary"],
            "data": [2, 13, 2],  # mac 4, 15; win 3, 12
        },
        {"category": "experiment", "download_type": ["source", "win.binary"], "data": [1, 1]},
    ]


def test_get_data_second_group_by_per_year(client):
    url = (
        "/api/get_data?model=downloads&group_by=download_type&second_group_by=category"
        "&time_group=year"
    )
    assert get(client, url) == [
        {
            "download_type": "source",
            "category": ["annotation", "bioc"],
            "data": [1, 1],
            "time_group": "2023",
        },
        {"download_type": "mac.binary", "category": ["bioc"], "data": [2], "time_group": "2024"},
        {
            "download_type": "source",
            "category": ["annotation", "bioc", "experiment"],
            "data": [2, 12, 1],
            "time_group": "2024",
        },
        {
            "download_type": "win.binary",
            "category": ["bioc", "experiment"],
            "data": [2, 1],
            "time_group": "2024",
        },
    ]


def test_country_of_private_addresses_is_one_unknown_group(client):
    """The events' clients are private addresses (10.0.0.x): no country, one null group.
    Countries of real addresses: tests/models/test_client_dimensions.py."""
    assert get(client, "/api/get_data?model=downloads&group_by=country") == [
        {"country": None, "data": 22}
    ]
    url = "/api/get_data?model=downloads&group_by=category&second_group_by=country"
    assert get(client, url)[1] == {"category": "bioc", "country": [None], "data": [17]}


def test_client_dimensions_group_and_filter(client):
    """Every event's agent is `R (4.4.0)` through the CDN edge IAD (docs/rules.md, the client
    of a download): R 4.4, OS not said, served in the United States."""
    assert get(client, "/api/get_data?model=downloads&group_by=r_version") == [
        {"r_version": "4.4", "data": 22}
    ]
    assert get(client, "/api/get_data?model=downloads&group_by=edge_country") == [
        {"edge_country": "United States", "data": 22}
    ]
    url = "/api/get_data?model=downloads&group_by=category&second_group_by=client&os=other"
    assert get(client, url)[1] == {"category": "bioc", "client": ["R"], "data": [17]}
    url = "/api/get_data?model=downloads&group_by=category&time_group=year&client=R"
    assert [e["data"] for e in get(client, url)] == [
        e["data"]
        for e in get(client, "/api/get_data?model=downloads&group_by=category&time_group=year")
    ]
    # a filter that matches nothing: no groups
    assert get(client, "/api/get_data?model=downloads&group_by=package&client=wget") == []


def test_client_dimensions_do_not_combine_with_bioc_version(client):
    for url in (
        "/api/get_data?model=downloads&group_by=bioc_version&second_group_by=os",
        "/api/get_data?model=downloads&group_by=download_type&client=R",
    ):
        resp = client.get(url)
        assert resp.status_code == 400 and "cannot be combined" in resp.get_json()["error"]
    for url in (
        "/api/get_data?model=downloads&group_by=os&client=r",
        "/api/get_data?model=downloads&group_by=os&country=us",
        "/api/get_data?model=downloads&group_by=os&r_version=4",
    ):
        assert client.get(url).status_code == 400, url


def test_breakdown_of_one_package(client):
    url = "/api/downloads/breakdown/2024-01-01:2024-12-31/alpha?by=edge_country"
    answer = get(client, url)
    total = get(client, "/api/downloads/point/2024-01-01:2024-12-31/alpha")["downloads"]
    assert answer == {
        "package": "alpha",
        "start": "2024-01-01",
        "end": "2024-12-31",
        "by": "edge_country",
        "breakdown": [{"value": "United States", "downloads": total}],
    }
    assert get(client, url.replace("edge_country", "country"))["breakdown"] == [
        {"value": None, "downloads": total}
    ]
    assert client.get(url.replace("alpha", "nosuchpkg")).status_code == 404
    bulk = get(client, url.replace("alpha", "alpha,nosuchpkg"))
    assert bulk == {"alpha": answer, "nosuchpkg": None}
    assert client.get(url.replace("edge_country", "bioc_version")).status_code == 400


def test_global_sum_per_year_and_day(client):
    assert get(client, "/api/get_global_sum?model=downloads&time_group=year") == [
        {"total_sum": 2, "time_group": "2023"},
        {"total_sum": 20, "time_group": "2024"},
    ]
    assert get(client, "/api/get_global_sum?model=downloads&time_group=day") == [
        {"total_sum": 1, "time_group": "2023-06-01"},
        {"total_sum": 1, "time_group": "2023-12-31"},
        {"total_sum": 4, "time_group": "2024-03-10"},
        {"total_sum": 2, "time_group": "2024-03-11"},
        {"total_sum": 1, "time_group": "2024-03-30"},
        {"total_sum": 2, "time_group": "2024-03-31"},
        {"total_sum": 2, "time_group": "2024-05-14"},
        {"total_sum": 3, "time_group": "2024-05-15"},
        {"total_sum": 3, "time_group": "2024-10-27"},
        {"total_sum": 2, "time_group": "2024-11-03"},
        {"total_sum": 1, "time_group": "2024-11-04"},
    ]


def test_global_sum_per_hour(client):
    hours = get(client, "/api/get_global_sum?model=downloads&time_group=hour")
    assert len(hours) == 20  # 22 downloads, two pairs share an hour (10+11, 12+13)
    assert hours[:2] == [
        {"total_sum": 1, "time_group": "2023-06-01 12:00"},
        {"total_sum": 1, "time_group": "2023-12-31 23:00"},
    ]
    assert {"total_sum": 2, "time_group": "2024-05-14 18:00"} in hours
    assert {"total_sum": 2, "time_group": "2024-05-15 00:00"} in hours
    assert sum(h["total_sum"] for h in hours) == 22


def hours(client, zone: str, day: str) -> dict[int, int]:
    data = get(client, f"/api/get_daily_downloads?timezone={zone}&date={day}")
    assert [e["hour"] for e in data] == list(range(1, 25))  # always 24 wall-clock hours
    return {e["hour"]: e["total_primary"] for e in data}


def nonzero(counts: dict[int, int]) -> dict[int, int]:
    return {h: n for h, n in counts.items() if n}


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # spring forward (02:00 EST -> 03:00 EDT): 2 (05:00Z = 00:00 EST), 3 (06:30Z = 01:30
        # EST), 4 (07:00Z = 03:00 EDT: hour 4; hour 3 never happens), 5 (03:59:59Z = 23:59:59)
        ("America/New_York", "2024-03-10", {1: 1, 2: 1, 4: 1, 24: 1}),
        # fall back: 18 at 01:15 EDT and 19 at 01:15 EST are both in wall-clock hour 2
        ("America/New_York", "2024-11-03", {2: 2, 24: 1}),
        # 7 at 00:10 CET; 8 at 01:10Z = 03:10 CEST (hour 4); 9 at 23:59 CEST
        ("Europe/Berlin", "2024-03-31", {1: 1, 4: 1, 24: 1}),
        # 15 at 02:30 CEST and 16 at 02:30 CET share wall-clock hour 3; 17 at 23:30 CET
        ("Europe/Berlin", "2024-10-27", {3: 2, 24: 1}),
        # +05:30: 12 (00:00Z) and 13 (00:45Z) share a UTC hour but not a local one
        ("Asia/Kolkata", "2024-05-15", {1: 1, 6: 1, 7: 1, 24: 1}),
        # +05:45: the day is 18:15Z .. 18:15Z
        ("Asia/Kathmandu", "2024-05-15", {1: 2, 6: 1, 7: 1}),
        ("UTC", "2024-05-15", {1: 2, 19: 1}),
        ("UTC", "2022-01-01", {}),
        # the last loaded day (valid_thru) itself: 20 at 04:30Z
        ("UTC", "2024-11-04", {5: 1}),
    ],
)
def test_daily_downloads(client, zone, day, expected):
    assert nonzero(hours(client, zone, day)) == expected


def test_after_valid_thru_is_empty(client):
    """No data yet is `[]` (the dashboard shows "No data available"), not 24 zeros."""
    assert get(client, "/api/get_daily_downloads?timezone=UTC&date=2024-11-05") == []
    # a zone ahead of UTC whose local date is already after valid_thru
    assert get(client, "/api/get_daily_downloads?timezone=Pacific/Kiritimati&date=2024-11-05") == []
    assert get(client, "/api/get_daily_downloads") == []  # today is after 2024-11-04
    assert get(client, "/api/get_todays_downloads?timezone=Europe/Berlin") == []
    assert client.get("/api/get_todays_downloads?timezone=Mars/Olympus").status_code == 400


def test_dashboard_aliases(client):
    """The arXiv dashboard's model names and its `archive` column (SPEC 6)."""
    base = get(client, "/api/get_data?model=downloads&group_by=category")
    for model in ("hourly", "hourly_download_data"):
        assert get(client, f"/api/get_data?model={model}&group_by=category") == base
    assert get(client, "/api/get_data?model=hourly&group_by=archive") == [
        {"archive": e["category"], "data": e["data"]} for e in base
    ]
    sums = get(client, "/api/get_global_sum?model=downloads&time_group=month")
    assert get(client, "/api/get_global_sum?model=hourly&time_group=month") == sums


def test_status(client):
    data = get(client, "/api/status")
    assert {k: data[k] for k in ("valid_thru", "as_of_date", "first_day")} == {
        "valid_thru": "2024-11-04",
        "as_of_date": "2024-11-05",
        "first_day": "2023-06-01",
    }
    assert data["built_at"].endswith("Z")
    # the 90 days 2024-08-07..2024-11-04 had downloads on 10-27, 11-03 and 11-04 only
    empty = data["days_without_downloads"]
    assert len(empty) == 87
    assert empty[0] == "2024-08-07" and empty[-1] == "2024-11-02"
    assert "2024-10-27" not in empty and "2024-10-28" in empty
    # logs were loaded for the event days and 2024-11-01 (QUIET_DAY), none complete
    assert data["first_log_day"] == "2023-06-01"
    assert data["days_without_logs"] == [d for d in empty if d != "2024-11-01"]
    assert data["incomplete_days"] == ["2024-10-27", "2024-11-01", "2024-11-03", "2024-11-04"]
    assert data["last_log_file"]["name"] == "E1TESTAPI.2024-11-04-00.0000000b.gz"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["last_log_file"]["loaded_at"])
    assert data["last_run"] is None  # no `webstats refresh` recorded on these warehouses
