"""`webstats athena organize SRC DST`: CloudFront's flat log objects into day folders.

CloudFront's standard logging (legacy) writes every object under one prefix,
`<prefix><distribution>.YYYY-MM-DD-HH.<unique id>.gz`. Athena prunes by partition, a
partition is a folder, and partition projection cannot project a file name: so each
object is copied to `DST/YYYY/MM/DD/<name>`, the day of its name (the UTC day its requests
happened; CloudFront names a late delivery by that day too), which is the layout the
external table reads (macros/athena/create_cloudfront_table.sql). Standard logging v2 can
write that layout itself (docs/athena.md); then there is nothing to organize.

Idempotent, with a ledger. The ledger is one gzip JSON Lines object in the destination,
`DST/_webstats/organize-ledger.jsonl.gz`, a line per organized object: source key, ETag,
size, destination key, when, and whether it was copied or found already there. It lives
beside the logs it describes (same bucket, permissions and lifecycle), outside every day
folder Athena reads (partition projection only reaches `YYYY/MM/DD/`, and Hive skips
`_`-prefixed paths), and needs no database (Python has no SQL connection to Athena, and a
ledger table there would cost a query a run). A run reads it once, lists the source (one
request per 1000 objects), and for each object not in it checks the destination (HEAD):
there with the same ETag and size it is only recorded (a run killed after copying), else it
is copied. The ledger is written every `CHECKPOINT` objects and at the end, so a killed run
loses nothing and copies nothing twice. A source object that changed under a known name,
or a destination object that differs from its source, is a conflict: reported, not
overwritten.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .s3 import S3Location, explain

#: a CloudFront standard log object's name: distribution, day and hour (UTC), unique id
NAME = re.compile(
    r"^(?P<distribution>[A-Za-z0-9]+)\.(?P<day>\d{4}-\d{2}-\d{2})-(?P<hour>\d{2})\.[^./]+\.gz$"
)
LEDGER_KEY = "_webstats/organize-ledger.jsonl.gz"
CHECKPOINT = 500


@dataclass(frozen=True)
class Entry:
    """One ledger line."""

    source: str
    etag: str
    size: int
    destination: str
    at: str
    how: str  # "copied", or "found" (already at the destination)


@dataclass
class OrganizeSummary:
    listed: int = 0
    not_cloudfront: int = 0
    known: int = 0
    copied: int = 0
    found: int = 0
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["conflicts"] = len(self.conflicts)
        return out


def day_folder(name: str) -> str | None:
    """`YYYY/MM/DD/<name>` for a CloudFront log object name, None for any other name."""
    match = NAME.match(name)
    if match is None:
        return None
    return match["day"].replace("-", "/") + "/" + name


def read_ledger(s3: Any, dst: S3Location) -> dict[str, Entry]:
    """Source key -> its ledger line (empty when there is no ledger yet)."""
    try:
        body = s3.get_object(Bucket=dst.bucket, Key=dst.key(LEDGER_KEY))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return {}
    lines = gzip.decompress(body).decode().splitlines()
    entries = (Entry(**json.loads(line)) for line in lines if line)
    return {e.source: e for e in entries}


def write_ledger(s3: Any, dst: S3Location, ledger: dict[str, Entry]) -> None:
    text = "".join(json.dumps(asdict(e), sort_keys=True) + "\n" for e in ledger.values())
    body = gzip.compress(text.encode(), mtime=0)
    s3.put_object(Bucket=dst.bucket, Key=dst.key(LEDGER_KEY), Body=body)


def list_source(s3: Any, src: S3Location) -> Iterator[dict]:
    """The objects directly under the source prefix (not in folders below it, where the
    destination may be)."""
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=src.bucket, Prefix=src.prefix, Delimiter="/"
    )
    for page in pages:
        yield from page.get("Contents", [])


def _head(s3: Any, bucket: str, key: str) -> dict | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def _place(s3: Any, src: S3Location, dst: S3Location, obj: dict, folder: str) -> Entry | str:
    """Copy one object to its day folder (or find it there): its ledger line, or a conflict."""
    etag, size, key = obj["ETag"].strip('"'), obj["Size"], dst.key(folder)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    there = _head(s3, dst.bucket, key)
    if there is not None:
        if there["ETag"].strip('"') == etag and there["ContentLength"] == size:
            return Entry(obj["Key"], etag, size, key, now, "found")
        return f"s3://{dst.bucket}/{key} exists and differs from s3://{src.bucket}/{obj['Key']}"
    s3.copy_object(
        Bucket=dst.bucket,
        Key=key,
        CopySource={"Bucket": src.bucket, "Key": obj["Key"]},
        CopySourceIfMatch=obj["ETag"],  # exactly the version listed
    )
    return Entry(obj["Key"], etag, size, key, now, "copied")


def _todo(
    s3: Any, src: S3Location, ledger: dict[str, Entry], summary: OrganizeSummary
) -> list[tuple[dict, str]]:
    """The listed CloudFront objects the ledger does not have, with their day folders."""
    todo = []
    for obj in list_source(s3, src):
        summary.listed += 1
        folder = day_folder(obj["Key"].rpartition("/")[2])
        if folder is None:
            summary.not_cloudfront += 1
            continue
        known = ledger.get(obj["Key"])
        if known is None:
            todo.append((obj, folder))
        elif known.etag == obj["ETag"].strip('"'):
            summary.known += 1
        else:
            summary.conflicts.append(f"s3://{src.bucket}/{obj['Key']} changed since it was copied")
    return todo


def organize(
    s3: Any, src: S3Location, dst: S3Location, workers: int = 8, checkpoint: int = CHECKPOINT
) -> OrganizeSummary:
    """Copy the new CloudFront log objects of `src` into `dst`'s day folders."""
    summary = OrganizeSummary()
    try:
        ledger = read_ledger(s3, dst)
        todo = _todo(s3, src, ledger, summary)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(todo), checkpoint):
                batch = todo[start : start + checkpoint]
                results = pool.map(lambda t: _place(s3, src, dst, *t), batch)
                _record(results, ledger, summary)
                write_ledger(s3, dst, ledger)
    except (ClientError, BotoCoreError) as exc:
        raise explain(exc) from exc
    return summary


def _record(results: Any, ledger: dict[str, Entry], summary: OrganizeSummary) -> None:
    for result in results:
        if isinstance(result, str):
            summary.conflicts.append(result)
            continue
        ledger[result.source] = result
        if result.how == "copied":
            summary.copied += 1
        else:
            summary.found += 1
