"""The client's dimensions of a download, exact counts on a hand-made log (docs/rules.md,
the client of a download; docs/dimensions.md).

Real user agents (tests/data/user_agents.csv) and addresses whose country is fixed:
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and a
private address have none; two public resolvers are placed where geoip2fast 1.2.2's data
(GeoLite2, 2024-06-18) places them: 8.8.8.8 in US, 1.1.1.1 in AU.
"""

from __future__ import annotations

from collections import Counter

import pytest

from webstats.ingest.geo import country_of

SRC = "/packages/3.18/bioc/src/contrib/ACME_1.0.tar.gz"
LINUX_R = "R (3.6.3 x86_64-pc-linux-gnu x86_64 linux-gnu)"
WINDOWS_R = "R (3.1.1 x86_64-w64-mingw32 x86_64 mingw32)"
MAC_ARM_R = "R (4.5.1 aarch64-apple-darwin20 aarch64 darwin20)"
HTTR = "libcurl/7.43.0 r-curl/0.9.3 httr/1.0.0"
CURL = "curl/7.58.0"
WGET = "Wget/1.10.1"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/134.0.0.0 Safari/537.36"
)
#: (user agent, address, edge, day, how many)
DOWNLOADS = [
    (LINUX_R, "8.8.8.8", "IAD89-P1", "2024-03-01 10:00:00", 3),
    (WINDOWS_R, "1.1.1.1", "FRA56-C1", "2024-03-01 11:00:00", 2),
    (MAC_ARM_R, "192.0.2.10", "NRT57-P2", "2024-03-01 12:00:00", 1),
    (HTTR, "2001:db8::1", "IAD89-P1", "2024-03-02 01:00:00", 1),
    (CURL, "198.51.100.7", "LAX50-C1", "2024-03-02 02:00:00", 2),
    (WGET, "203.0.113.9", "LAX50-C1", "2024-03-02 03:00:00", 1),
    (CHROME, "10.0.0.1", "FRA56-C1", "2024-03-02 04:00:00", 1),
]


def test_country_lookup_at_load():
    assert country_of("8.8.8.8") == "US"
    assert country_of("1.1.1.1") == "AU"
    for unknown in ("192.0.2.10", "198.51.100.7", "203.0.113.9", "2001:db8::1", "10.0.0.1",
                    "127.0.0.1", "ip1", "", None):  # fmt: skip
        assert country_of(unknown) is None, unknown


@pytest.fixture(scope="module")
def built(module_warehouse, logs, tmp_path_factory):
    w = module_warehouse.with_manifest(logs.MANIFEST)
    reqs = [
        logs.req(SRC, ip=ip, edge=edge, when=when, ua=ua)
        for ua, ip, edge, when, n in DOWNLOADS
        for _ in range(n)
    ]
    # not a download: counted nowhere
    reqs.append(logs.req("/index.html", ip="8.8.4.4", when="2024-03-02 05:00:00", ua=CURL))
    folder = tmp_path_factory.mktemp("client-logs")
    logs.write(folder / "E1.2024-03-02-05.c.gz", logs.cloudfront(reqs))
    summary = w.load_and_build(folder, dbt_vars=logs.VERSIONS)
    assert summary.ok and summary.loaded == 12, summary.problems
    return w


def _by(w, column: str) -> dict:
    rows = w.rows(f"select {column}, sum(downloads) from daily_downloads group by 1")
    return {k: int(n) for k, n in rows}


def test_raw_requests_keep_the_country_of_the_address(built):
    rows = built.rows("select client_ip, client_country from raw_requests")
    countries = {ip: c for ip, c in rows}
    assert countries["8.8.8.8"] == "US" and countries["1.1.1.1"] == "AU"
    assert countries["8.8.4.4"] == "US"
    assert {countries[ip] for ip in ("192.0.2.10", "2001:db8::1", "10.0.0.1")} == {None}


def test_downloads_carry_the_client_dimensions(built):
    rows = built.rows("select client, r_version, os, arch, client_country from downloads")
    assert Counter(rows) == {
        ("R", "3.6", "linux", "x86_64", "US"): 3,
        ("R", "3.1", "windows", "x86_64", "AU"): 2,
        ("R", "4.5", "macos", "aarch64", None): 1,
        ("R", None, "other", None, None): 1,
        ("curl", None, "other", None, None): 2,
        ("wget", None, "other", None, None): 1,
        ("browser", None, "windows", "x86_64", None): 1,
    }


def test_daily_downloads_counts_per_dimension(built):
    assert _by(built, "client") == {"R": 7, "curl": 2, "wget": 1, "browser": 1}
    assert _by(built, "r_version") == {"3.6": 3, "3.1": 2, "4.5": 1, "": 5}
    assert _by(built, "os") == {"linux": 3, "windows": 3, "macos": 1, "other": 4}
    assert _by(built, "arch") == {"x86_64": 6, "aarch64": 1, "": 4}
    assert _by(built, "country") == {"US": 3, "AU": 2, "": 6}
    assert _by(built, "edge_country") == {"US": 7, "DE": 3, "JP": 1}
    days = built.rows("select download_date, sum(downloads) from daily_downloads group by 1")
    assert {str(d)[:10]: int(n) for d, n in days} == {"2024-03-01": 6, "2024-03-02": 5}
    # the same downloads as the hourly mart and the legacy tables count
    total = built.rows("select sum(downloads) from hourly_downloads")[0][0]
    assert int(total) == 11
