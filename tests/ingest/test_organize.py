"""`webstats athena organize`: CloudFront's flat objects into day folders, on a local S3.

The objects are real CloudFront log files under their real names (the legacy examples,
tests/data/legacy/logs), in the flat layout standard logging writes; the S3 is moto's
server on loopback (tests/conftest.py: `s3`), reached over HTTP by the real command line.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webstats.ingest.organize import LEDGER_KEY, day_folder, organize, read_ledger
from webstats.ingest.s3 import S3Location


def _put(s3, key: str, path: Path) -> None:
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=path.read_bytes())


def _cli(s3, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "webstats.cli", "athena", *args],
        env=env or dict(os.environ, **s3.env),
        capture_output=True,
        text=True,
        check=False,
    )


def _organize(s3) -> dict:
    proc = _cli(s3, "organize", s3.url("cloudfront/"), s3.url("organized/"))
    record = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    return {"status": proc.returncode, **json.loads(record), "stdout": proc.stdout}


@pytest.fixture
def flat(s3, legacy) -> list[Path]:
    """Six real log objects of three days in CloudFront's flat layout, plus two objects that
    are not logs of this prefix (a note, and a file in a folder below it)."""
    files = [f for f in sorted(legacy.logs.iterdir()) if f.name.split(".")[1] < "2023-01-05"]
    assert len(files) == 6
    for f in files:
        _put(s3, f"cloudfront/{f.name}", f)
    s3.client().put_object(Bucket=s3.bucket, Key="cloudfront/README.txt", Body=b"not a log")
    _put(s3, f"cloudfront/archive/{files[0].name}", files[0])
    return files


def test_a_cloudfront_name_gives_its_day_folder():
    assert (
        day_folder("E1TVLJONPTUXV3.2023-01-01-22.bd86c461.gz")
        == "2023/01/01/E1TVLJONPTUXV3.2023-01-01-22.bd86c461.gz"
    )
    for other in ("README.txt", "E1.2023-01-01.bd86c461.gz", "E1.2023-01-01-22.x.log"):
        assert day_folder(other) is None


def test_organize_copies_each_object_once_into_its_day(s3, flat):
    first = _organize(s3)
    assert first["status"] == 0, first["stdout"]
    assert (first["listed"], first["not_cloudfront"], first["copied"]) == (7, 1, 6)
    expected = sorted(f"organized/{day_folder(f.name)}" for f in flat)
    assert s3.keys("organized/2") == expected
    for f in flat:
        body = s3.client().get_object(Bucket=s3.bucket, Key=f"organized/{day_folder(f.name)}")
        assert body["Body"].read() == f.read_bytes()  # nothing lost, byte for byte
    ledger = s3.client().get_object(Bucket=s3.bucket, Key=f"organized/{LEDGER_KEY}")
    before = gzip.decompress(ledger["Body"].read())
    assert before.decode().count("\n") == 6

    again = _organize(s3)  # a re-run is a no-op: nothing copied, the ledger unchanged
    assert (again["status"], again["copied"], again["known"], again["found"]) == (0, 0, 6, 0)
    ledger = s3.client().get_object(Bucket=s3.bucket, Key=f"organized/{LEDGER_KEY}")
    assert gzip.decompress(ledger["Body"].read()) == before


def test_a_late_object_of_an_old_day_is_copied_on_the_next_run(s3, flat, legacy):
    assert _organize(s3)["copied"] == 6
    late = next(f for f in sorted(legacy.logs.iterdir()) if f.name.split(".")[1] >= "2023-01-05")
    _put(s3, f"cloudfront/{late.name}", late)
    run = _organize(s3)
    assert (run["copied"], run["known"]) == (1, 6)
    assert f"organized/{day_folder(late.name)}" in s3.keys("organized/")


def test_an_object_a_killed_run_copied_is_recorded_not_copied_again(s3, flat):
    """A run killed after a copy and before its ledger write: the next run finds the copy."""
    src, dst = S3Location.parse(s3.url("cloudfront/")), S3Location.parse(s3.url("organized/"))
    client = s3.client()
    client.copy_object(
        Bucket=s3.bucket,
        Key=dst.key(day_folder(flat[0].name)),
        CopySource={"Bucket": s3.bucket, "Key": src.key(flat[0].name)},
    )
    summary = organize(client, src, dst, checkpoint=2)  # the ledger is written every 2
    assert (summary.copied, summary.found, summary.conflicts) == (5, 1, [])
    ledger = read_ledger(client, dst)
    assert sorted(e.how for e in ledger.values()) == ["copied"] * 5 + ["found"]
    assert sorted(ledger) == sorted(src.key(f.name) for f in flat)


def test_a_changed_object_is_a_conflict_and_nothing_is_overwritten(s3, flat, legacy):
    assert _organize(s3)["copied"] == 6
    other = sorted(legacy.logs.iterdir())[-1]
    _put(s3, f"cloudfront/{flat[0].name}", other)  # new content under a known name
    run = _organize(s3)
    assert (run["status"], run["conflicts"], run["copied"]) == (1, 1, 0)
    assert f"conflict: s3://{s3.bucket}/cloudfront/{flat[0].name} changed" in run["stdout"]
    kept = s3.client().get_object(Bucket=s3.bucket, Key=f"organized/{day_folder(flat[0].name)}")
    assert kept["Body"].read() == flat[0].read_bytes()


@pytest.mark.parametrize(
    "args",
    [("organize", "s3://logs/cloudfront/", "s3://logs/organized/"), ("create-table", "s3://l/")],
)
def test_without_credentials_it_fails_in_one_line(s3, tmp_path, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    proc = _cli(s3, *args, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("webstats athena: no AWS credentials")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_location_that_is_not_s3_is_refused(s3):
    proc = _cli(s3, "organize", "/tmp/logs/", s3.url("organized/"))
    assert proc.returncode == 2
    expected = "webstats athena: not an S3 location (s3://bucket/prefix/): '/tmp/logs/'\n"
    assert proc.stderr == expected
