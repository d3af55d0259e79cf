"""The bulk dumps under /packages/stats/dumps/ (docs/api.md, "Dumps"), on the hand-made
events: built by the real pipeline and written directly, each on DuckDB and PostgreSQL.

The expected rows are counted here from EVENTS (conftest.py), independently of the SQL; the
Parquet file is read back with DuckDB and compared to them and to the mart itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import defaultdict

import duckdb
import sqlalchemy as sa

from renderer.app import create_app
from webstats.core import warehouse as wh

BASE = "/packages/stats/dumps/"


def expected_rows(events) -> list[tuple]:
    """(day, category, package, downloads, distinct IPs) from the event list, sorted."""
    ips: defaultdict = defaultdict(list)
    for e in events:
        ips[(e.request_at.date(), e.category, e.package)].append(e.ip)
    return sorted((*k, len(v), len(set(v))) for k, v in ips.items())


def test_csv_and_parquet_hold_the_daily_counts(client, api_events, tmp_path):
    expected = expected_rows(api_events)
    assert (dt.date(2024, 3, 10), "bioc", "alpha", 3, 2) in expected  # events 1-3

    resp = client.get(BASE + "daily_package_downloads.csv.gz")
    assert resp.status_code == 200 and resp.mimetype == "application/gzip"
    assert resp.headers["ETag"] and resp.headers["Last-Modified"]
    body = resp.get_data()
    text = gzip.decompress(body).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["day", "category", "package", "downloads", "distinct_ips"]
    assert [(dt.date.fromisoformat(d), c, p, int(n), int(i)) for d, c, p, n, i in lines[1:]] == (
        expected
    )
    assert "10.0.0." not in text  # no address; and no hash column (the header above)

    parquet = client.get(BASE + "daily_package_downloads.parquet")
    assert parquet.status_code == 200
    path = tmp_path / "dump.parquet"
    path.write_bytes(parquet.get_data())
    with duckdb.connect() as con:
        rows = con.execute(f"select * from read_parquet('{path}')").fetchall()
        described = con.execute(f"describe select * from read_parquet('{path}')").fetchall()
    types = [r[1] for r in described]
    assert rows == expected
    assert types == ["DATE", "VARCHAR", "VARCHAR", "INTEGER", "INTEGER"]


def test_the_dumps_equal_the_mart(api_warehouses, api_events):
    """Pipeline-built: the file's rows are the mart's rows (downloads from the real rule)."""
    for source in ("pipeline-duckdb", "pipeline-postgres"):
        settings = api_warehouses(source)
        engine = wh.sqlalchemy_engine(settings)
        with engine.connect() as conn:
            mart = conn.execute(
                sa.text(
                    "select download_date, category, package, downloads, distinct_ips "
                    "from daily_package_downloads"
                )
            ).fetchall()
        engine.dispose()
        body = create_app(settings).test_client().get(BASE + "daily_package_downloads.csv.gz")
        lines = list(csv.reader(io.StringIO(gzip.decompress(body.get_data()).decode())))[1:]
        got = [(dt.date.fromisoformat(d), c, p, int(n), int(i)) for d, c, p, n, i in lines]
        assert got == sorted(tuple(r) for r in mart) == expected_rows(api_events)


def test_validators_readme_and_errors(client):
    first = client.get(BASE + "daily_package_downloads.csv.gz")
    etag = first.headers["ETag"]
    again = client.get(BASE + "daily_package_downloads.csv.gz", headers={"If-None-Match": etag})
    assert again.status_code == 304
    since = first.headers["Last-Modified"]
    assert client.get(BASE + "daily_package_downloads.parquet",
                      headers={"If-Modified-Since": since}).status_code == 304  # fmt: skip
    head = client.head(BASE + "daily_package_downloads.csv.gz")
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(first.data)

    readme = client.get(BASE + "README.txt")
    assert readme.status_code == 200 and readme.mimetype == "text/plain"
    text = readme.get_data(as_text=True)
    assert "Data through 2024-11-04 (UTC)" in text and "distinct_ips" in text
    assert client.get(BASE).get_data() == readme.get_data()
    for bad in ("nosuch.csv", "..%2fstats.tab", "daily_package_downloads.csv"):
        assert client.get(BASE + bad).status_code == 404


def test_the_same_build_gives_the_same_bytes(api_warehouses):
    """A fresh app (a fresh spool) writes byte-identical files: re-serving changes nothing."""
    settings = api_warehouses("fixture-duckdb")
    bodies = [
        create_app(settings).test_client().get(BASE + name).get_data()
        for name in ("daily_package_downloads.csv.gz", "daily_package_downloads.parquet") * 2
    ]
    assert bodies[0] == bodies[2] and bodies[1] == bodies[3]
