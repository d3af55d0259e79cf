"""Bulk data under /packages/stats/dumps/: `daily_package_downloads` as gzip CSV and Parquet,
with a README beside them (docs/api.md, "Dumps").

The files are made by the site from the `daily_package_downloads` mart (counts per UTC day
and package, no IP and no hash), once per build, in the build's spool (renderer/legacy/
spool.py) and streamed from there like `bioc_pkg_stats.tab`, with the same validators (ETag
of the build, Last-Modified the as-of day; 304 on revalidation). Being made from the
published mart they need no step of the nightly job, and they hold exactly what the build
holds: re-running a build over the same logs writes the same bytes (rows sorted here, gzip
without a time stamp, Parquet on one thread).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from flask import Blueprint, Response, abort, current_app

from renderer import http
from renderer.legacy.spool import Spool
from renderer.snapshot import Snapshot
from webstats.core.dumps import DUMP_COLUMNS, csv_to_parquet

bp = Blueprint("dumps", __name__, url_prefix="/packages/stats/dumps")

CSV_NAME = "daily_package_downloads.csv.gz"
PARQUET_NAME = "daily_package_downloads.parquet"
README_NAME = "README.txt"
TEXT = "text/plain; charset=utf-8"


def _snapshot() -> Snapshot:
    return current_app.extensions["snapshots"].snapshot()


def _spool(snap: Snapshot) -> Spool:
    """The build's spool of dump files, removed when a newer build retires this one."""

    def make() -> Spool:
        spool = Spool("dumps-" + snap.key)
        snap.on_retire(spool.close)
        return spool

    return snap.cached(("dumps", "spool"), make)


def _months(snap: Snapshot) -> list[tuple[dt.date, dt.date]]:
    """[first, next first) of each month from the first to the last day with downloads:
    the rows are read a month at a time, so memory stays bounded whatever the history."""
    first, last = snap.rows(
        "select min(download_date), max(download_date) from daily_package_downloads"
    )[0]
    if first is None:
        return []
    out, month = [], dt.date(first.year, first.month, 1)
    while month <= last:
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        out.append((month, following))
        month = following
    return out


def dump_rows(snap: Snapshot) -> Iterator[tuple]:
    """(day, category, package, downloads, distinct_ips), by day, then category and
    package in code-point order (the same bytes on every database)."""
    for start, stop in _months(snap):
        rows = snap.rows(
            "select download_date, category, package, downloads, distinct_ips "
            "from daily_package_downloads "
            "where download_date >= :start and download_date < :stop",
            {"start": start, "stop": stop},
        )
        yield from sorted((_day(r[0]), r[1], r[2], int(r[3]), int(r[4])) for r in rows)


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def write_csv(snap: Snapshot, out: BinaryIO) -> None:
    """The gzip CSV: a header line, then one line per row; no time stamp in the gzip header."""
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        text = io.TextIOWrapper(gz, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([name for name, _ in DUMP_COLUMNS])
        for day, category, package, downloads, ips in dump_rows(snap):
            writer.writerow([day.isoformat(), category, package, downloads, ips])
        text.flush()
        text.detach()


def write_parquet(snap: Snapshot, out: BinaryIO) -> None:
    """The Parquet file: the CSV's rows, converted (webstats/core/dumps.py)."""
    with tempfile.TemporaryDirectory(prefix="webstats-dump-") as work:
        csv_path, parquet_path = Path(work) / CSV_NAME, Path(work) / PARQUET_NAME
        with open(csv_path, "wb") as f:
            write_csv(snap, f)
        csv_to_parquet(csv_path, parquet_path)
        with open(parquet_path, "rb") as f:
            shutil.copyfileobj(f, out)


def readme(snap: Snapshot) -> bytes:
    """What the files hold, for whoever downloads them."""
    return README.format(
        valid_thru=snap.valid_thru.isoformat(),
        built_at=snap.built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).encode()


README = """Bioconductor package downloads, per UTC day
==========================================

Files
  daily_package_downloads.csv.gz   gzip-compressed CSV, UTF-8, one header line
  daily_package_downloads.parquet  the same rows as Apache Parquet

Data through {valid_thru} (UTC), built {built_at}. Both files are remade with every
build of the statistics (normally nightly) and carry ETag and Last-Modified headers.

Columns (one row per day, category and package with at least one download)
  day           the UTC day, YYYY-MM-DD
  category      bioc, annotation, experiment or workflows
  package       the package name
  downloads     downloads that day, counted as the statistics pages count them
  distinct_ips  distinct client addresses that downloaded the package that day

Rows are sorted by day, then category and package (code-point order). Days without a
download of a package have no row for it; a day whose logs never arrived has no rows at
all (see /api/status for the days without loaded logs).

No client address, and no hash of one, is in these files: only counts.
"""

#: name -> (content type, writer of the spooled file)
FILES: dict[str, tuple[str, Callable[[Snapshot, BinaryIO], None]]] = {
    CSV_NAME: ("application/gzip", write_csv),
    PARQUET_NAME: ("application/vnd.apache.parquet", write_parquet),
}


@bp.get("/")
@bp.get("/<name>")
def dump(name: str = README_NAME) -> Response:
    """A dump file, streamed from the build's spool, or the README."""
    snap = _snapshot()
    key = "dumps/" + name
    if name == README_NAME:
        return http.respond(snap, key, lambda: readme(snap), TEXT)
    if name not in FILES:
        abort(404)
    mimetype, write = FILES[name]
    spool = _spool(snap)
    return http.respond_file(snap, key, lambda: spool.open(key, lambda f: write(snap, f)), mimetype)
