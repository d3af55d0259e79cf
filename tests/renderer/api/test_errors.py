"""Every class of bad input is a JSON 400 (or 404/405) that leaks nothing internal."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from renderer.app import create_app
from webstats.core.settings import Settings

# table names: `hourly_download_data` is a public model name (SPEC 6), the table is not
INTERNALS = (
    "Traceback", "select ", "SELECT", "sqlalchemy", "duckdb", "psycopg", "hourly_downloads",
    "minute_downloads",
)  # fmt: skip

BAD_REQUESTS = [
    # missing / unknown model, column, time group
    "/api/get_data",
    "/api/get_data?group_by=category",
    "/api/get_data?model=stats&group_by=category",
    "/api/get_data?model=downloads",
    "/api/get_data?model=downloads&group_by=ip_hash",
    "/api/get_data?model=downloads&group_by=Category",
    "/api/get_data?model=downloads&group_by=category&second_group_by=nope",
    "/api/get_data?model=downloads&group_by=category&second_group_by=category",
    "/api/get_data?model=downloads&group_by=category&time_group=hour",
    "/api/get_data?model=downloads&group_by=category&time_group=week",
    "/api/get_global_sum?model=downloads",
    "/api/get_global_sum?model=downloads&time_group=minute",
    "/api/get_global_sum?time_group=day",
    # unknown zones, bad dates
    "/api/get_daily_downloads?timezone=Mars/Olympus",
    "/api/get_daily_downloads?timezone=America",
    "/api/get_daily_downloads?timezone=../../etc/passwd",
    "/api/get_daily_downloads?timezone=EST5EDT%00",
    "/api/get_daily_downloads?date=2024-02-30",
    "/api/get_daily_downloads?date=2024-2-3",
    "/api/get_daily_downloads?date=20240203",
    "/api/get_daily_downloads?date=9999-12-31",
    "/api/get_daily_downloads?date=0001-01-01",
    "/api/get_daily_downloads?date=yesterday",
    # periods: malformed, reversed, too long for a range
    "/api/downloads/point/last-decade/alpha",
    "/api/downloads/point/2024-03-31:2024-03-01/alpha",
    "/api/downloads/point/2024-13-01:2024-13-02/alpha",
    "/api/downloads/point/2024-01-01/alpha",
    "/api/downloads/point/2024-01-01:2024-01-02:2024-01-03/alpha",
    "/api/downloads/range/2023-06-01:2024-12-01/alpha",
    "/api/downloads/range/2010-01-01:2024-01-01/alpha",
    # package names
    "/api/downloads/point/last-day/alpha,",
    "/api/downloads/point/last-day/,alpha",
    "/api/downloads/point/last-day/al_pha",
    "/api/downloads/point/last-day/" + ",".join(f"p{i}" for i in range(129)),
    # top n out of bounds, category unknown
    "/api/top/last-day/0",
    "/api/top/last-day/501",
    "/api/top/last-day/-1",
    "/api/top/last-day/ten",
    "/api/top/last-day/1e2",
    "/api/top/last-day/10?category=software",
    "/api/top/last-day/10?category=bioc'--",
]

INJECTIONS = [
    "/api/get_data?model=downloads&group_by=" + quote("category; drop table stats;--"),
    "/api/get_data?model=downloads&group_by=" + quote("package) from packages --"),
    "/api/get_data?model=" + quote("downloads' or '1'='1") + "&group_by=category",
    "/api/get_global_sum?model=downloads&time_group=" + quote("day') --"),
    "/api/get_daily_downloads?timezone=" + quote("UTC'; select 1; --"),
    "/api/get_daily_downloads?date=" + quote("2024-01-01' or 1=1 --"),
    "/api/downloads/point/last-day/" + quote("alpha' or '1'='1", safe=""),
    "/api/downloads/point/last-day/" + quote("alpha);drop table stats;--", safe=""),
    "/api/downloads/range/" + quote("2024-01-01:2024-01-02' --", safe="") + "/alpha",
    "/api/top/last-day/" + quote("10;--", safe=""),
    "/api/top/last-day/10?category=" + quote("bioc' or '1'='1"),
]


def assert_json_error(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]
    assert not any(s in body["error"] for s in INTERNALS)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    return body["error"]


@pytest.mark.parametrize("url", BAD_REQUESTS + INJECTIONS)
def test_bad_input_is_400(client, url):
    assert_json_error(client.get(url), 400)


def test_messages_name_the_allowed_values(client):
    message = assert_json_error(client.get("/api/get_data?model=downloads&group_by=x"), 400)
    assert message == (
        "invalid group_by; expected one of: "
        "category, archive, package, bioc_version, download_type, client, r_version, os, arch, "
        "country, edge_country, automation_reason"
    )
    assert (
        assert_json_error(client.get("/api/get_data?group_by=x"), 400) == "missing parameter: model"
    )


def test_data_survives_injection_attempts(client):
    for url in INJECTIONS:
        client.get(url)
    assert client.get("/api/get_global_sum?model=downloads&time_group=year").get_json() == [
        {"total_sum": 2, "time_group": "2023"},
        {"total_sum": 20, "time_group": "2024"},
    ]


@pytest.mark.parametrize("url", ["/api/", "/api/nope", "/api/downloads/point/last-day"])
def test_unknown_paths_are_json_404(client, url):
    assert_json_error(client.get(url), 404)


def test_other_methods_are_json_405(client):
    assert_json_error(client.post("/api/get_data?model=downloads&group_by=category"), 405)
    assert_json_error(client.delete("/api/top/last-day/3"), 405)


def test_missing_warehouse_is_503(tmp_path):
    settings = Settings("duckdb", tmp_path / "none.duckdb", "x", tmp_path, "https://x")
    client = create_app(settings).test_client()
    message = assert_json_error(client.get("/api/top/last-day/3"), 503)
    assert "none.duckdb" not in message
