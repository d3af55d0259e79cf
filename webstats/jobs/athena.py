"""`webstats refresh --target athena`: the nightly job when the logs stay in S3.

Steps, one JSON line each: `lock` (the lock beside the published file: one job at a
time), `organize` (CloudFront's new flat objects into day folders, when
WEBSTATS_ATHENA_LOGS_SOURCE is set), `build` (the incremental `dbt build` on Athena over
the new delivery days only, through the last settled day), `export` (the served tables'
changed rows unloaded to Parquet in S3) and `publish` (those rows applied to the DuckDB
file the site reads, swapped in at once). The site therefore never queries Athena: it
reads the published file (webstats.core.warehouse.served), and a failed night leaves the
previous publication serving.

Why the last settled day: CloudFront may deliver a day's entries up to 24 hours late, in
objects named by the day they happened, and the build takes whole delivery days once; a
day is read when no more of it can arrive (docs/athena.md).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from webstats.core.settings import Settings
from webstats.core.site_file import VERSIONED
from webstats.core.warehouse import published_path, writer_lock
from webstats.ingest import s3
from webstats.ingest.organize import organize

from .dbt import build, run_dbt
from .publish import TableChange, publish
from .report import step

#: a mark for rows changed since the last publication
SINCE = "{mark}"


@dataclass(frozen=True)
class Export:
    """A served table, which of its rows a publication takes, and how they apply.

    The keys are the models' unique keys (models/marts/*.sql), the marks their watermarks:
    every row a build appends or rewrites carries a file id past the newest one published.
    """

    table: str
    mode: str
    keys: tuple[str, ...] = ()
    changed: str | None = None  # the rows changed since the publication of file id {mark}

    def where(self, mark: int | None, version: str | None = None) -> str:
        """The rows to publish after the publication of file id `mark` whose rows of a
        VERSIONED table carry `version`: the changed ones, and in a VERSIONED table also
        every row of another version (a rules change recounts every day of daily_downloads
        without a new log file: its rows keep their days' marks; docs/rules.md)."""
        if mark is None or self.changed is None:
            return "1 = 1"
        changed = self.changed.format(mark=int(mark))
        column = VERSIONED.get(self.table)
        if column is None or version is None:
            return changed
        return f"({changed} or {column} <> {_sql_text(version)})"


def _sql_text(value: str) -> str:
    """A SQL string literal (the value is a rules label read from the published file)."""
    return "'" + value.replace("'", "''") + "'"


EXPORTS = (
    Export("downloads", "append", changed="file_id > {mark}"),
    Export(
        "hourly_downloads",
        "upsert",
        ("hour_at", "category", "package", "bioc_version", "download_type"),
        "source_file_id > {mark}",
    ),
    Export("minute_downloads", "upsert", ("minute_at",), "source_file_id > {mark}"),
    Export("log_coverage", "upsert", ("log_date",), "source_file_id > {mark}"),
    Export(
        "daily_package_downloads",
        "upsert",
        ("download_date", "category", "package"),
        "source_file_id > {mark}",
    ),
    # whole days: a build recounts a day whole and marks every row of it with the day's
    # newest file (models/marts/daily_downloads.sql), so the day replaces the published one
    # (rows that left the day go with it)
    Export("daily_downloads", "upsert", ("download_date",), "source_file_id > {mark}"),
    Export(
        "stats",
        "upsert",
        ("category", "package", "date", "is_monthly"),
        "(source_file_id > {mark} or ips_batch_file_id > {mark})",
    ),
    Export(
        "categorystats",
        "upsert",
        ("category", "date", "is_monthly"),
        "(source_file_id > {mark} or ips_batch_file_id > {mark})",
    ),
    Export("package_scores", "replace"),
    Export("categories", "replace"),
    Export("packages", "replace"),
    Export("countries", "replace"),
    Export("webstats_info", "replace"),
)


def settled_day(now: dt.datetime) -> dt.date:
    """The last UTC day that ended more than 24 hours before `now` (its logs are complete)."""
    return (now.astimezone(dt.UTC) - dt.timedelta(hours=24)).date() - dt.timedelta(days=1)


def published_mark(path: Path) -> int | None:
    """The newest log file id in the published `downloads` (None: nothing published yet)."""
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_name = 'downloads'"
        ).fetchone()[0]
        if not found:
            return None
        return con.execute("select coalesce(max(file_id), 0) from downloads").fetchone()[0]


def published_versions(path: Path) -> dict[str, str]:
    """The rules version the published file's VERSIONED tables were counted with (one row's:
    a build rewrites all of them when it changes); a table without rows has none."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    with duckdb.connect(str(path), read_only=True) as con:
        for table, column in VERSIONED.items():
            found = con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [table]
            ).fetchone()[0]
            if not found:
                continue
            sql = f"select max({column}) from (select {column} from {table} limit 1)"
            version = con.execute(sql).fetchone()[0]
            if version is not None:
                out[table] = version
    return out


def export_tables(
    mark: int | None, versions: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """The `tables` argument of the unload_tables macro for a publication after `mark` whose
    VERSIONED tables carry `versions` (published_versions)."""
    versions = versions or {}
    return [{"name": e.table, "where": e.where(mark, versions.get(e.table))} for e in EXPORTS]


def fetch(client: Any, prefix: s3.S3Location, into: Path) -> dict[str, list[Path]]:
    """Download each exported table's files (`<prefix><table>/...`) into `into/<table>/`."""
    out: dict[str, list[Path]] = {}
    for e in EXPORTS:
        folder = prefix.key(e.table) + "/"
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=prefix.bucket, Prefix=folder
        )
        files = []
        for obj in (o for page in pages for o in page.get("Contents", [])):
            name = obj["Key"][len(folder) :].replace("/", "_")
            dest = into / e.table / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(prefix.bucket, obj["Key"], str(dest))
            files.append(dest)
        out[e.table] = sorted(files)
    return out


def remove(client: Any, prefix: s3.S3Location) -> None:
    """Delete an export once published (it is only the way the rows travel)."""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=prefix.bucket, Prefix=prefix.prefix
    )
    for page in pages:
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=prefix.bucket, Delete={"Objects": keys})


def publish_export(
    client: Any, prefix: s3.S3Location, path: Path, full: bool = False
) -> dict[str, int]:
    """Apply the export under `prefix` to the published file; rows brought per table. A
    `full` export (every row of every table) replaces each table."""
    with tempfile.TemporaryDirectory(prefix="webstats-export-") as tmp:
        files = fetch(client, prefix, Path(tmp))
        changes = [
            TableChange(e.table, files[e.table], "replace")
            if full
            else TableChange(e.table, files[e.table], e.mode, e.keys)
            for e in EXPORTS
        ]
        counts = publish(path, changes)
    remove(client, prefix)
    return counts


def unload(
    settings: Settings, prefix: s3.S3Location, mark: int | None, versions: dict[str, str]
) -> None:
    """The unload_tables macro on Athena: the rows changed since `mark` (and of another
    rules version than `versions`), to `prefix`."""
    args = {"prefix": str(prefix), "tables": export_tables(mark, versions)}
    run_dbt(settings, ["run-operation", "unload_tables", "--args", json.dumps(args)])


def _organize(settings: Settings, client: Any) -> list[str]:
    if not settings.athena_logs_source:
        with step("organize", {"skipped": "WEBSTATS_ATHENA_LOGS_SOURCE is not set"}):
            return []
    if not settings.athena_logs_location:
        raise ValueError("WEBSTATS_ATHENA_LOGS_SOURCE needs WEBSTATS_ATHENA_LOGS_LOCATION")
    src = s3.S3Location.parse(settings.athena_logs_source)
    dst = s3.S3Location.parse(settings.athena_logs_location)
    with step("organize", {"src": str(src), "dst": str(dst)}) as rec:
        summary = organize(client, src, dst)
        rec.update(summary.as_dict())
    return summary.conflicts


def nightly(
    settings: Settings, dbt_vars: dict[str, str], full_refresh: bool, now: dt.datetime
) -> list[str]:
    """The Athena night (module docstring); returns the problems (organize's conflicts)."""
    client = s3.client()  # no credentials: one line, before anything starts
    with step("lock", {"target": settings.target}):
        lock = writer_lock(settings)
        lock.__enter__()
    try:
        problems = _organize(settings, client)
        through = settled_day(now)
        with step("build", {"full_refresh": full_refresh, "through": str(through)}):
            build(settings, full_refresh, {**dbt_vars, "athena_through": str(through)})
        path = published_path(settings)
        # everything after a full refresh (rows may have been rebuilt in place), else the
        # rows changed since the last publication
        mark = None if full_refresh else published_mark(path)
        versions = {} if mark is None else published_versions(path)
        run = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        prefix = s3.S3Location.parse(settings.athena_export_dir.rstrip("/") + f"/{run}/")
        with step("export", {"to": str(prefix), "since_file_id": mark, "versions": versions}):
            unload(settings, prefix, mark, versions)
        with step("publish", {"where": str(path), "full": mark is None}) as rec:
            rec["rows"] = publish_export(client, prefix, path, full=mark is None)
        return problems
    finally:
        lock.__exit__(None, None, None)


def check_no_logs(logs: Sequence[Path]) -> None:
    if logs:
        raise ValueError(
            "--logs: the athena target reads its logs in S3 (WEBSTATS_ATHENA_LOGS_SOURCE)"
        )
