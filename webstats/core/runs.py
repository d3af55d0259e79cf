"""The outcome of the last nightly run, kept where the site can read it.

`/api/status` says whether the last `webstats refresh` succeeded. The run's outcome is only
known after its build has been published (or has failed, publishing nothing), so it cannot
travel inside the published tables: on DuckDB the site file is replaced by the build itself,
and a failed run never replaces it. The job therefore records each run's outcome beside the
tables the site reads, and the renderer reads it here:

- DuckDB and Athena (the site reads a DuckDB file): a small JSON file beside that file
  (`webstats.site.last-run.json` beside `webstats.site.duckdb`), replaced atomically;
- PostgreSQL (the site may run on another host): a row in the table `refresh_runs` of the
  live schema, written after the schema swap (the newest row is the last run).

A record is `{"finished_at": ISO UTC, "ok": bool, "problems": int, "error": str | null}`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from .settings import Settings
from .warehouse import connect, served_path

RUNS_TABLE_DDL = (
    "create table if not exists refresh_runs (finished_at timestamp not null, "
    "ok boolean not null, problems integer not null, error varchar)"
)


def run_file(settings: Settings) -> Path | None:
    """The JSON record beside the file the site reads (`webstats.site.duckdb` ->
    `webstats.site.last-run.json`); None for a warehouse on a server (PostgreSQL)."""
    served = served_path(settings)
    return None if served is None else served.with_name(f"{served.stem}.last-run.json")


def run_record(ok: bool, problems: int, error: str | None, now: dt.datetime) -> dict[str, Any]:
    """The record of one run that finished at `now` (an aware datetime)."""
    finished = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"finished_at": finished, "ok": ok, "problems": problems, "error": error}


def record_run(settings: Settings, record: dict[str, Any]) -> None:
    """Keep `record` as the last run's outcome (see the module docstring for where)."""
    path = run_file(settings)
    if path is None:
        finished = dt.datetime.strptime(record["finished_at"], "%Y-%m-%dT%H:%M:%SZ")
        with connect(settings, create_schema=True) as con:
            con.execute(RUNS_TABLE_DDL)
            con.execute(
                "insert into refresh_runs values (?, ?, ?, ?)",
                [finished, record["ok"], record["problems"], record["error"]],
            )
        return
    work = path.with_name(path.name + ".tmp")
    with open(work, "w", encoding="utf-8") as out:
        json.dump(record, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(work, path)


def last_run(settings: Settings) -> dict[str, Any] | None:
    """The last recorded run's outcome, or None when no run was recorded (or readable)."""
    path = run_file(settings)
    if path is None:
        return _last_postgres_run(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _last_postgres_run(settings: Settings) -> dict[str, Any] | None:
    try:
        with connect(settings, read_only=True) as con:
            row = con.execute(
                "select finished_at, ok, problems, error from refresh_runs "
                "order by finished_at desc limit 1"
            ).fetchone()
    except Exception:  # no run recorded yet (no table), or the server is down
        return None
    if row is None:
        return None
    finished = row[0].replace(tzinfo=dt.UTC)
    return run_record(bool(row[1]), int(row[2]), row[3], finished)
