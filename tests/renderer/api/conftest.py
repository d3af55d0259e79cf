"""Fixtures for the API tests: the hand-made downloads every API test counts, and an app
over them, four ways.

`EVENTS` are chosen around the edges the API must get right: both daylight-saving changes of
2024 in America/New_York and Europe/Berlin, a half-hour zone (Asia/Kolkata), the first and
last second of local days, and two downloads in one UTC hour that fall into two different
local hours. The expected answers in the tests are worked out by hand from this list.

`client` runs each test on the events written as the contract tables directly ("fixture")
and on the same events written as CloudFront log files with noise lines (HEAD, 404, index
files, unknown packages) and built by the real pipeline (loader + dbt, "pipeline"), each on
DuckDB and on PostgreSQL. The API only reads, so each warehouse is built once per session;
every test gets a fresh app (and so a fresh response cache).
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from renderer.app import create_app
from webstats.core import warehouse as wh
from webstats.core.settings import Settings
from webstats.ingest.formats import CLOUDFRONT_FIELDS

SOURCES = ["fixture-duckdb", "fixture-postgres", "pipeline-duckdb", "pipeline-postgres"]


@dataclass(frozen=True)
class Event:
    at: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    ip: str
    category: str
    package: str
    bioc_version: str
    download_type: str

    @property
    def request_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)


B, A, E = "bioc", "annotation", "experiment"
SRC, WIN, MAC = "source", "win.binary", "mac.binary"

EVENTS: list[Event] = [
    # 1-6: New York spring forward, 2024-03-10 (local day = 05:00Z .. 04:00Z next day)
    Event("2024-03-10 04:59:59", "10.0.0.1", B, "alpha", "3.18", SRC),
    Event("2024-03-10 05:00:00", "10.0.0.2", B, "alpha", "3.18", SRC),
    Event("2024-03-10 06:30:00", "10.0.0.1", B, "alpha", "3.18", WIN),
    Event("2024-03-10 07:00:00", "10.0.0.3", B, "beta", "3.18", MAC),
    Event("2024-03-11 03:59:59", "10.0.0.1", A, "gamma.db", "3.18", SRC),
    Event("2024-03-11 04:00:00", "10.0.0.2", B, "alpha", "3.18", SRC),
    # 7-9: Berlin spring forward, 2024-03-31 (23:00Z .. 22:00Z)
    Event("2024-03-30 23:10:00", "10.0.0.1", B, "alpha", "3.18", SRC),
    Event("2024-03-31 01:10:00", "10.0.0.2", B, "beta", "3.18", SRC),
    Event("2024-03-31 21:59:00", "10.0.0.4", E, "deltaData", "3.18", SRC),
    # 10-14: Kolkata (+05:30), 2024-05-15 (18:30Z .. 18:30Z)
    Event("2024-05-14 18:29:00", "10.0.0.1", B, "alpha", "3.19", SRC),
    Event("2024-05-14 18:30:00", "10.0.0.1", B, "alpha", "3.19", SRC),
    Event("2024-05-15 00:00:00", "10.0.0.2", B, "beta", "3.19", WIN),
    Event("2024-05-15 00:45:00", "10.0.0.3", B, "beta", "3.19", SRC),
    Event("2024-05-15 18:29:59", "10.0.0.2", A, "gamma.db", "3.19", SRC),
    # 15-17: Berlin fall back, 2024-10-27 (22:00Z .. 23:00Z)
    Event("2024-10-27 00:30:00", "10.0.0.5", B, "alpha", "3.19", MAC),
    Event("2024-10-27 01:30:00", "10.0.0.5", B, "alpha", "3.19", SRC),
    Event("2024-10-27 22:30:00", "10.0.0.1", B, "beta", "3.19", SRC),
    # 18-20: New York fall back, 2024-11-03 (04:00Z .. 05:00Z next day)
    Event("2024-11-03 05:15:00", "10.0.0.1", B, "alpha", "3.20", SRC),
    Event("2024-11-03 06:15:00", "10.0.0.2", B, "alpha", "3.20", SRC),
    Event("2024-11-04 04:30:00", "10.0.0.3", E, "deltaData", "3.20", WIN),
    # 21-22: an earlier year
    Event("2023-12-31 23:59:59", "10.0.0.1", B, "alpha", "3.18", SRC),
    Event("2023-06-01 12:00:00", "10.0.0.6", A, "gamma.db", "3.17", SRC),
]

# the manifest: `unused` never had a download (0, not 404); `lonely` is an annotation name.
MANIFEST: list[tuple[str, str]] = [
    ("alpha", B),
    ("beta", B),
    ("unused", B),
    ("gamma.db", A),
    ("deltaData", E),
]
VALID_THRU = dt.date(2024, 11, 4)
#: a day whose logs arrived but hold no download (its counts are 0); every other day
#: without an event has no log file at all (its counts are unknown: null)
QUIET_DAY = dt.date(2024, 11, 1)
#: the name of the newest log file write_cloudfront_logs writes (webstats_info.last_file_name)
LAST_LOG_FILE = "E1TESTAPI.2024-11-04-00.0000000b.gz"
LAST_LOADED_AT = dt.datetime(2024, 11, 5, 5, 0, 0)

CATEGORY_ROWS = [
    ("bioc", "bioc", "bioc", "software", "bioc", 75, 2009, "index.html", 1),
    (
        "annotation",
        "data/annotation",
        "data-annotation",
        "annotation",
        "annotation",
        30,
        2009,
        "data-annotation.html",
        2,
    ),
    (
        "experiment",
        "data/experiment",
        "data-experiment",
        "experiment",
        "experiment",
        15,
        2009,
        "data-experiment.html",
        3,
    ),
    (
        "workflows",
        "workflows",
        "workflows",
        "workflow",
        "workflows",
        None,
        2015,
        "workflows.html",
        4,
    ),
]

DDL = [
    "create table minute_downloads (minute_at timestamp, downloads integer)",
    "create table hourly_downloads (hour_at timestamp, category varchar, package varchar, "
    "bioc_version varchar, download_type varchar, downloads bigint)",
    "create table stats (category varchar, package varchar, date date, is_monthly boolean, "
    "ip_count bigint, download_count bigint)",
    "create table packages (package varchar, category varchar, first_version varchar, "
    "last_version varchar)",
    "create table categories (category varchar, log_path varchar, web_subdir varchar, "
    "label varchar, file_prefix varchar, top_n integer, first_year integer, "
    "index_page varchar, sort_order integer)",
    "create table package_scores (category varchar, package varchar, score bigint, "
    "rank bigint, in_release boolean, in_devel boolean)",
    "create table webstats_info (valid_thru date, as_of_date date, built_at timestamp, "
    "bioc_release varchar, bioc_devel varchar, last_file_name varchar, "
    "last_file_loaded_at timestamp)",
    "create table log_coverage (log_date date, log_files integer, line_count bigint, "
    "first_request_at timestamp, last_request_at timestamp, hours_with_requests integer, "
    "is_complete boolean)",
    "create table daily_package_downloads (download_date date, category varchar, "
    "package varchar, downloads integer, distinct_ips integer)",
    "create table daily_downloads (download_date date, category varchar, package varchar, "
    "client varchar, r_version varchar, os varchar, arch varchar, country varchar, "
    "edge_country varchar, automation_reason varchar, automation_rules_version varchar, "
    "downloads integer)",
    "create table countries (country_code varchar, country_name varchar)",
]
#: what the pipeline derives from every event's line (_line): agent `R (4.4.0)`, a private
#: address (no country), the edge IAD89-P1 (United States); no rule flags it as automation
CLIENT_DIMENSIONS = {
    "client": "R",
    "r": "4.4",
    "os": "other",
    "arch": "",
    "cc": "",
    "ec": "US",
    "rules": "rules 1; burst > 20 packages in 10 min",
}


def daily_package_rows(events: list[Event]) -> list[dict]:
    """(day, category, package) -> downloads and distinct IPs, as the dumps hold them."""
    ips: defaultdict = defaultdict(list)
    for e in events:
        ips[(e.request_at.date(), e.category, e.package)].append(e.ip)
    return [
        {"d": k[0], "c": k[1], "p": k[2], "n": len(v), "i": len(set(v))} for k, v in ips.items()
    ]


def _coverage_rows(events: list[Event]) -> list[dict]:
    """log_coverage as the pipeline builds it from write_cloudfront_logs' files: one file a
    day, each event with its four noise lines, and QUIET_DAY's one line at noon."""
    times: defaultdict = defaultdict(list)
    for e in events:
        times[e.request_at.date()] += [e.request_at] * 5
    if events is EVENTS:
        times[QUIET_DAY].append(dt.datetime.combine(QUIET_DAY, dt.time(12)))
    return [
        {
            "d": day,
            "n": len(ts),
            "f": min(ts),
            "l": max(ts),
            "h": len({t.hour for t in ts}),
        }
        for day, ts in times.items()
    ]


def engine_for(settings: Settings) -> sa.Engine:
    """A read-write engine on the isolated warehouse of `settings`."""
    return wh.sqlalchemy_engine(settings, read_only=False)


def _stats_rows(events: list[Event]) -> list[dict]:
    """Monthly and yearly (category, package) rows as the contract defines them."""
    downloads: Counter = Counter()
    ips: defaultdict = defaultdict(set)
    for e in events:
        d = e.request_at.date()
        for date, monthly in ((d.replace(day=1), True), (dt.date(d.year, 12, 31), False)):
            key = (e.category, e.package, date, monthly)
            downloads[key] += 1
            ips[key].add(e.ip)
    return [
        {"c": k[0], "p": k[1], "d": k[2], "m": k[3], "i": len(ips[k]), "n": n}
        for k, n in downloads.items()
    ]


def build_fixture_warehouse(settings: Settings, events: list[Event] = EVENTS) -> None:
    """Write the contract tables for `events` into the warehouse of `settings`."""
    engine = engine_for(settings)
    hourly: Counter = Counter()
    minutes: Counter = Counter()
    for e in events:
        t = e.request_at
        minutes[t.replace(second=0)] += 1
        hourly[
            (t.replace(minute=0, second=0), e.category, e.package, e.bioc_version, e.download_type)
        ] += 1
    with engine.begin() as conn:
        for ddl in DDL:
            conn.execute(sa.text(ddl))
        if events:
            conn.execute(
                sa.text("insert into minute_downloads values (:m, :n)"),
                [{"m": m, "n": n} for m, n in minutes.items()],
            )
            conn.execute(
                sa.text("insert into hourly_downloads values (:h, :c, :p, :v, :t, :n)"),
                [
                    {"h": k[0], "c": k[1], "p": k[2], "v": k[3], "t": k[4], "n": n}
                    for k, n in hourly.items()
                ],
            )
            conn.execute(
                sa.text("insert into stats values (:c, :p, :d, :m, :i, :n)"), _stats_rows(events)
            )
        conn.execute(
            sa.text("insert into packages values (:p, :c, '3.0', '')"),
            [{"p": p, "c": c} for p, c in MANIFEST],
        )
        conn.execute(  # ranks by hand (last-year scores); only the badges read them
            sa.text("insert into package_scores values (:c, :p, 0, :r, true, true)"),
            [
                {"c": B, "p": "alpha", "r": 1},
                {"c": B, "p": "beta", "r": 2},
                {"c": B, "p": "unused", "r": 3},
                {"c": A, "p": "gamma.db", "r": 1},
                {"c": E, "p": "deltaData", "r": 1},
            ],
        )
        conn.execute(
            sa.text("insert into categories values (:a, :b, :c, :d, :e, :f, :g, :h, :i)"),
            [dict(zip("abcdefghi", row, strict=True)) for row in CATEGORY_ROWS],
        )
        conn.execute(
            sa.text("insert into webstats_info values (:v, :a, :b, '3.20', '3.21', :f, :t)"),
            {
                "v": VALID_THRU,
                "a": VALID_THRU + dt.timedelta(days=1),
                "b": dt.datetime(2024, 11, 5, 6, 0, 0),
                "f": LAST_LOG_FILE,
                "t": LAST_LOADED_AT,
            },
        )
        if events:
            conn.execute(
                sa.text("insert into log_coverage values (:d, 1, :n, :f, :l, :h, false)"),
                _coverage_rows(events),
            )
            conn.execute(
                sa.text("insert into daily_package_downloads values (:d, :c, :p, :n, :i)"),
                daily_package_rows(events),
            )
            conn.execute(
                sa.text(
                    "insert into daily_downloads values "
                    "(:d, :c, :p, :client, :r, :os, :arch, :cc, :ec, '', :rules, :n)"
                ),
                [{**r, **CLIENT_DIMENSIONS} for r in daily_package_rows(events)],
            )
        conn.execute(
            sa.text("insert into countries values ('US', 'United States'), ('DE', 'Germany')")
        )
    engine.dispose()


# ---------------------------------------------------------------- CloudFront log files

FIELDS = " ".join(CLOUDFRONT_FIELDS)

CATEGORY_PATHS = {B: "bioc", A: "data/annotation", E: "data/experiment"}


def _uri(e: Event) -> str:
    path = CATEGORY_PATHS[e.category]
    if e.download_type == SRC:
        where, ext = "src/contrib", "tar.gz"
    elif e.download_type == WIN:
        where, ext = "bin/windows/contrib/4.4", "zip"
    else:
        where, ext = "bin/macosx/big-sur-arm64/contrib/4.4", "tgz"
    return f"/packages/{e.bioc_version}/{path}/{where}/{e.package}_1.0.{ext}"


def _line(at: dt.datetime, ip: str, method: str, uri: str, status: int, n: int) -> str:
    fields = [
        at.strftime("%Y-%m-%d"),
        at.strftime("%H:%M:%S"),
        "IAD89-P1",
        "1000",
        ip,
        method,
        "d2nsi8cfpgrgm1.cloudfront.net",
        uri,
        str(status),
        "-",
        "R%20(4.4.0)",
        "-",
        "-",
        "Miss",
        f"req{n:06d}==",
        "bioconductor.org",
        "https",
        "200",
        "0.001",
        "-",
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        "Miss",
        "HTTP/2.0",
        "-",
        "-",
        "40000",
        "0.001",
        "Miss",
        "application/x-gzip",
        "1000",
        "-",
        "-",
    ]
    return "\t".join(fields)


def _noise(e: Event, n: int) -> list[str]:
    """Requests near each download that the pipeline must not count."""
    at, uri = e.request_at, _uri(e)
    unknown = uri.replace(f"/{e.package}_", "/notInManifest_")
    return [
        _line(at, e.ip, "HEAD", uri, 200, n * 10 + 1),
        _line(at, e.ip, "GET", uri, 404, n * 10 + 2),
        _line(at, e.ip, "GET", "/packages/3.18/bioc/src/contrib/PACKAGES.gz", 200, n * 10 + 3),
        _line(at, e.ip, "GET", unknown, 200, n * 10 + 4),
    ]


def write_cloudfront_logs(directory: Path, events: list[Event] = EVENTS) -> list[Path]:
    """One gzipped CloudFront log file per UTC day, lines in time order, noise included."""
    by_day: defaultdict = defaultdict(list)
    for n, e in enumerate(sorted(events, key=lambda e: e.at)):
        by_day[e.request_at.date()].append(_line(e.request_at, e.ip, "GET", _uri(e), 200, n))
        by_day[e.request_at.date()].extend(_noise(e, n))
    if events is EVENTS:  # a loaded day without downloads
        noon = dt.datetime.combine(QUIET_DAY, dt.time(12))
        by_day[QUIET_DAY].append(_line(noon, "10.0.0.9", "GET", "/index.html", 200, 999))
    paths = []
    directory.mkdir(parents=True, exist_ok=True)
    for day, lines in sorted(by_day.items()):
        path = directory / f"E1TESTAPI.{day:%Y-%m-%d}-00.{len(paths):08x}.gz"
        text = "#Version: 1.0\n#Fields: " + FIELDS + "\n" + "\n".join(lines) + "\n"
        path.write_bytes(gzip.compress(text.encode()))
        paths.append(path)
    return paths


def manifest_csv(path: Path) -> Path:
    """The manifest seed for the pipeline build (same names as MANIFEST)."""
    rows = ["package,category,first_version,last_version"]
    rows += [f"{p},{c},3.0," for p, c in MANIFEST]
    path.write_text("\n".join(rows) + "\n")
    return path


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def api_warehouses(new_warehouse):
    """`get(source)`: the warehouse of a source, built on first use."""
    built: dict[str, Settings] = {}

    def get(source: str) -> Settings:
        if source not in built:
            how, target = source.split("-")
            w = new_warehouse(target)
            if how == "fixture":
                build_fixture_warehouse(w.settings)
            else:
                w = w.with_manifest(manifest_csv(w.tmp / "manifest.csv"))
                w.load_and_build(*write_cloudfront_logs(w.tmp / "logs"))
            built[source] = w.settings
        return built[source]

    return get


@pytest.fixture
def api_events() -> list[Event]:
    """The hand-made downloads every warehouse here holds."""
    return EVENTS


@pytest.fixture(params=SOURCES)
def client(request, api_warehouses) -> FlaskClient:
    app = create_app(api_warehouses(request.param))
    app.testing = True
    return app.test_client()


@pytest.fixture(params=["fixture-duckdb", "fixture-postgres"])
def fixture_settings(request, api_warehouses) -> Settings:
    """The directly written warehouse (for the schemathesis run, which needs no pipeline)."""
    return api_warehouses(request.param)
