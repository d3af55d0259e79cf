"""The nightly job on Athena, offline: what can run without AWS.

- The export step: served tables unloaded as Parquet to S3 (here moto's S3 server, laid out
  as Athena's UNLOAD lays them out) are published into the DuckDB file the site reads, and
  the site then serves exactly what it serves from the warehouse they came from;
- a failed publication leaves the previous one serving; a night without new rows changes
  nothing;
- the days a night reads, and the command's failures without AWS, in one line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import duckdb
import pytest

from renderer.export import export_site
from webstats.core import warehouse as wh
from webstats.ingest.s3 import S3Location
from webstats.jobs.athena import EXPORTS, publish_export, published_mark, settled_day


def _unload(source: Path, s3, prefix: S3Location, where: dict[str, str] | None = None) -> None:
    """What UNLOAD leaves in S3: each table's rows as Parquet files under <prefix><table>/
    (names without an extension), here from a DuckDB warehouse's tables."""
    client = s3.client()
    with duckdb.connect(str(source), read_only=True) as con, tempfile.TemporaryDirectory() as tmp:
        for e in EXPORTS:
            local = Path(tmp) / f"{e.table}.parquet"
            cond = (where or {}).get(e.table, "1 = 1")
            rows = f"select * from {e.table} where {cond}"
            con.execute(f"copy ({rows}) to '{local}' (format parquet)")
            key = prefix.key(e.table, f"{uuid.uuid4().hex}_00000")
            client.put_object(Bucket=s3.bucket, Key=key, Body=local.read_bytes())


@pytest.fixture
def built(legacy_duckdb):
    """The DuckDB target's build of the legacy logs: the tables an Athena build would hold."""
    return legacy_duckdb


@pytest.fixture
def athena(built, tmp_path):
    """Athena settings whose published file is private to the test."""
    return dataclasses.replace(
        built.settings, target="athena", athena_published=tmp_path / "published.duckdb"
    )


def test_the_site_serves_the_published_marts_as_it_serves_the_warehouse(
    built, athena, s3, tmp_path
):
    prefix = S3Location.parse(s3.url("exports/night-1/"))
    _unload(built.settings.duckdb_path, s3, prefix)
    rows = publish_export(s3.client(), prefix, wh.published_path(athena))
    assert rows["downloads"] == built.query("select count(*) from downloads")[0][0] > 0
    assert s3.keys("exports/") == []  # the export is only the way the rows travel

    export_site(athena, tmp_path / "from-athena")  # the renderer reads the published file
    export_site(built.settings, tmp_path / "from-warehouse")
    a, b = tmp_path / "from-athena", tmp_path / "from-warehouse"
    files = sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()) == files
    assert [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()] == []


def test_a_night_without_new_rows_changes_nothing(built, athena, s3):
    path = wh.published_path(athena)
    _unload(built.settings.duckdb_path, s3, S3Location.parse(s3.url("exports/1/")))
    publish_export(s3.client(), S3Location.parse(s3.url("exports/1/")), path)
    published = wh.served(athena)
    before = dataclasses.replace(built, settings=published).marts(with_stamp=True)
    mark = published_mark(path)
    assert mark == built.query("select max(file_id) from downloads")[0][0]
    where = {e.table: e.where(mark) for e in EXPORTS}
    _unload(built.settings.duckdb_path, s3, S3Location.parse(s3.url("exports/2/")), where)
    rows = publish_export(s3.client(), S3Location.parse(s3.url("exports/2/")), path)
    assert rows["downloads"] == rows["stats"] == rows["hourly_downloads"] == 0
    assert dataclasses.replace(built, settings=published).marts(with_stamp=True) == before


def test_a_full_publication_replaces_every_table(built, athena, s3):
    """After a full refresh the night publishes every row again: nothing doubles."""
    path = wh.published_path(athena)
    for night in ("1", "2"):
        prefix = S3Location.parse(s3.url(f"exports/{night}/"))
        _unload(built.settings.duckdb_path, s3, prefix)
        publish_export(s3.client(), prefix, path, full=True)
    published = dataclasses.replace(built, settings=wh.served(athena))
    assert published.marts(with_stamp=True) == built.marts(with_stamp=True)


def test_a_failed_publication_leaves_the_previous_one(built, athena, s3):
    path = wh.published_path(athena)
    _unload(built.settings.duckdb_path, s3, S3Location.parse(s3.url("exports/1/")))
    publish_export(s3.client(), S3Location.parse(s3.url("exports/1/")), path)
    identity = os.stat(path).st_ino, path.read_bytes()
    bad = S3Location.parse(s3.url("exports/2/"))
    _unload(built.settings.duckdb_path, s3, bad)
    s3.client().put_object(Bucket=s3.bucket, Key=bad.key("stats", "torn"), Body=b"PAR1 torn")
    with pytest.raises(duckdb.Error):
        publish_export(s3.client(), bad, path)
    assert (os.stat(path).st_ino, path.read_bytes()) == identity
    assert not path.with_name(path.name + ".next").exists()


@pytest.mark.parametrize(
    ("now", "day"),
    [
        ("2024-02-12T01:00:00+00:00", "2024-02-10"),  # the nightly run: the day before yesterday
        ("2024-02-12T23:59:59+00:00", "2024-02-10"),  # yesterday may still get late entries
        ("2024-02-12T00:00:00+00:00", "2024-02-10"),  # 02-10 ended exactly 24 hours ago
        ("2024-02-11T23:59:59+00:00", "2024-02-09"),
        ("2024-02-12T09:00:00+09:00", "2024-02-10"),  # any zone: UTC days
    ],
)
def test_a_night_reads_through_the_last_settled_day(now, day):
    assert settled_day(dt.datetime.fromisoformat(now)).isoformat() == day


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "webstats refresh: no AWS credentials"),
        (("--logs", "/srv/logs"), "webstats refresh: --logs: the athena target reads its logs"),
    ],
)
def test_refresh_on_athena_without_aws_fails_in_one_line(new_warehouse, tmp_path, args, error):
    env = {k: v for k, v in new_warehouse("duckdb").cli_env().items() if not k.startswith("AWS_")}
    env.update(
        WEBSTATS_TARGET="athena",
        WEBSTATS_ATHENA_PUBLISHED=str(tmp_path / "published.duckdb"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "webstats.cli", "refresh", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == (2 if "--logs" in args else 1)  # --logs: bad usage
    assert proc.stderr.startswith(error)
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""
    assert not (tmp_path / "published.duckdb").exists()
