"""`filter=people|all` and the client-dimension filters on every endpoint that serves them,
and the days without logs as null, with exact counts on a hand-made log built by the real
pipeline (loader + dbt), on DuckDB and PostgreSQL (docs/api.md; docs/rules.md, likely
automation).

ACME, one CloudFront file with two UTC days and a day between them without a line:
  2024-03-01  8.8.8.8 (US) R on Linux x2, a crawler (Googlebot) x1, a CI runner x1
  2024-03-02  no logs at all: unknown, null in the daily answers
  2024-03-03  1.1.1.1 (AU) R on Windows x1
"""

from __future__ import annotations

import pytest

from renderer.app import create_app

SRC = "/packages/3.18/bioc/src/contrib/ACME_1.0.tar.gz"
LINUX_R = "R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)"
WINDOWS_R = "R (4.4.1 x86_64-w64-mingw32 x86_64 mingw32)"
#: as published in the crawler-user-agents list (docs/rules.md, likely automation)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
#: hand-made (docs/rules.md: no public sample of an R agent on a CI runner was found)
CI = LINUX_R + " GitHub-Actions"
PERIOD = "2024-03-01:2024-03-03"


@pytest.fixture(scope="module")
def client(module_warehouse, logs, tmp_path_factory):
    w = module_warehouse.with_manifest(logs.MANIFEST)
    reqs = [
        logs.req(SRC, ip="8.8.8.8", when="2024-03-01 10:00:00", ua=LINUX_R),
        logs.req(SRC, ip="8.8.8.8", when="2024-03-01 11:00:00", ua=LINUX_R),
        logs.req(SRC, ip="198.51.100.2", when="2024-03-01 12:00:00", ua=GOOGLEBOT),
        logs.req(SRC, ip="198.51.100.3", when="2024-03-01 13:00:00", ua=CI),
        logs.req(SRC, ip="1.1.1.1", when="2024-03-03 09:00:00", ua=WINDOWS_R),
    ]
    folder = tmp_path_factory.mktemp("people-logs")
    logs.write(folder / "E1.2024-03-03-09.p.gz", logs.cloudfront(reqs))
    summary = w.load_and_build(folder, dbt_vars=logs.VERSIONS)
    assert summary.ok and summary.loaded == 5, summary.problems
    app = create_app(w.settings)
    app.testing = True
    return app.test_client()


def get(client, url: str):
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def _days(entry: dict) -> list:
    return [d["downloads"] for d in entry["downloads"]]


def test_get_data_people_and_all(client):
    url = "/api/get_data?model=downloads&group_by=package"
    everyone = [{"package": "ACME", "data": 5}]
    assert get(client, url) == everyone
    assert get(client, url + "&filter=all") == everyone
    assert get(client, url + "&filter=people") == [{"package": "ACME", "data": 3}]
    by_client = get(client, "/api/get_data?model=downloads&group_by=client&filter=people")
    assert by_client == [{"client": "R", "data": 3}]


def test_get_data_by_automation_reason(client):
    """Every download split by why it looks automated, null for people (exact counts)."""
    url = "/api/get_data?model=downloads&group_by=automation_reason"
    assert get(client, url) == [
        {"automation_reason": "ci:github-actions", "data": 1},
        {"automation_reason": "crawler:googlebot", "data": 1},
        {"automation_reason": None, "data": 3},
    ]
    assert get(client, url + "&filter=people") == [{"automation_reason": None, "data": 3}]
    per_day = get(client, url + "&time_group=day&country=US")
    assert per_day == [{"automation_reason": None, "data": 2, "time_group": "2024-03-01"}]
    nested = get(client, url + "&second_group_by=os")
    assert nested == [
        {"automation_reason": "ci:github-actions", "os": ["linux"], "data": [1]},
        {"automation_reason": "crawler:googlebot", "os": ["other"], "data": [1]},
        {"automation_reason": None, "os": ["linux", "windows"], "data": [2, 1]},
    ]


def test_breakdown_by_automation_reason(client):
    url = f"/api/downloads/breakdown/{PERIOD}/ACME?by=automation_reason"
    answer = get(client, url)
    assert answer["by"] == "automation_reason"
    assert answer["breakdown"] == [
        {"value": None, "downloads": 3},
        {"value": "ci:github-actions", "downloads": 1},
        {"value": "crawler:googlebot", "downloads": 1},
    ]
    assert get(client, url + "&filter=people")["breakdown"] == [{"value": None, "downloads": 3}]
    one_day = "/api/downloads/breakdown/2024-03-03:2024-03-03/ACME?by=automation_reason"
    assert get(client, one_day)["breakdown"] == [{"value": None, "downloads": 1}]


def test_breakdown_people(client):
    url = f"/api/downloads/breakdown/{PERIOD}/ACME?by=country"
    assert get(client, url)["breakdown"] == [
        {"value": "United States", "downloads": 2},
        {"value": None, "downloads": 2},  # the crawler and the CI runner: documentation range
        {"value": "Australia", "downloads": 1},
    ]
    assert get(client, url + "&filter=people")["breakdown"] == [
        {"value": "United States", "downloads": 2},
        {"value": "Australia", "downloads": 1},
    ]


def test_point_with_filters(client):
    base = f"/api/downloads/point/{PERIOD}/ACME"
    assert get(client, base)["downloads"] == 5
    assert get(client, base + "?filter=people") == {
        "package": "ACME",
        "start": "2024-03-01",
        "end": "2024-03-03",
        "downloads": 3,
    }
    assert get(client, base + "?os=windows")["downloads"] == 1
    assert get(client, base + "?client=R&r_version=4.3")["downloads"] == 3  # 2 people + CI
    assert get(client, base + "?country=US&filter=people")["downloads"] == 2
    assert get(client, base + "?edge_country=US")["downloads"] == 5  # the default edge
    # a whole month: the months (from `stats`, every download) only without filters
    month = "/api/downloads/point/2024-03-01:2024-03-31/ACME"
    assert get(client, month)["months"] == [{"month": "2024-03", "downloads": 5, "distinct_ips": 4}]
    assert "months" not in get(client, month + "?filter=people")


def test_range_with_filters_and_days_without_logs(client):
    base = f"/api/downloads/range/{PERIOD}/ACME"
    assert _days(get(client, base)) == [4, None, 1]
    assert _days(get(client, base + "?filter=people")) == [2, None, 1]
    assert _days(get(client, base + "?os=windows")) == [0, None, 1]
    assert _days(get(client, base + "?country=AU&filter=people")) == [0, None, 1]
    bulk = get(client, base + ",nosuch?filter=people")
    assert _days(bulk["ACME"]) == [2, None, 1] and bulk["nosuch"] is None


def test_cranlogs_shapes_with_filters(client):
    daily = get(client, f"/api/downloads/daily/{PERIOD}/ACME?filter=people")
    assert _days(daily[0]) == [2, None, 1]
    total = get(client, f"/api/downloads/total/{PERIOD}?filter=people")
    assert total == [{"start": "2024-03-01", "end": "2024-03-03", "downloads": 3}]
    everyone = get(client, f"/api/downloads/daily/{PERIOD}")
    assert _days(everyone[0]) == [4, None, 1]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/downloads/point/{PERIOD}/ACME?filter=robots",
        f"/api/downloads/range/{PERIOD}/ACME?filter=People",
        f"/api/downloads/breakdown/{PERIOD}/ACME?by=os&filter=",
        "/api/get_data?model=downloads&group_by=package&filter=people&filter=all",
        "/api/get_data?model=downloads&group_by=bioc_version&filter=people",
        "/api/get_data?model=downloads&group_by=automation_reason&second_group_by=bioc_version",
        f"/api/downloads/total/{PERIOD}?os=solaris",
    ],
)
def test_bad_filters_are_400(client, url):
    resp = client.get(url)
    assert resp.status_code == 400 and "error" in resp.get_json()
