"""Helpers for the daily-job tests: run the real CLI, split the sample logs, read the marts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from wstest import LEGACY, project_with_manifest

from webstats.config import Settings

LOGS = LEGACY / "logs"
MANIFEST = LEGACY / "manifest.csv"
#: release/devel of the legacy golden data (same as wstest.LEGACY_VARS)
VERSION_ARGS = ["--release", "3.18", "--devel", "3.19"]
MARTS = ("downloads", "stats", "categorystats", "hourly_downloads", "package_scores")


def log_dir(dest: Path, *prefixes: str) -> Path:
    """A directory of symlinks to the sample logs whose day starts with one of `prefixes`."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(LOGS.iterdir()):
        day = f.name.split(".")[1]
        if day.startswith(prefixes) and not (dest / f.name).exists():
            (dest / f.name).symlink_to(f)
    return dest


def isolated(settings: Settings, tmp: Path, manifest: Path | str = MANIFEST) -> Settings:
    """Settings whose project is a private copy with `manifest` as the package seed."""
    return dataclasses.replace(
        settings, project_dir=project_with_manifest(tmp / "project", manifest)
    )


def cli_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        WEBSTATS_TARGET=settings.target,
        WEBSTATS_DUCKDB=str(settings.duckdb_path),
        WEBSTATS_PG_SCHEMA=settings.pg_schema,
        WEBSTATS_PROJECT_DIR=str(settings.project_dir),
    )
    return env


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "webstats.cli", *args]


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """Run `webstats ARGS` in a subprocess against the settings' warehouse."""
    return subprocess.run(
        cli_cmd(*args), env=cli_env(settings), capture_output=True, text=True, check=False
    )


def start_cli(settings: Settings, *args: str) -> subprocess.Popen:
    """Start `webstats ARGS` in its own session (so the test can kill the whole group)."""
    return subprocess.Popen(
        cli_cmd(*args),
        env=cli_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def refresh(settings: Settings, logs: Path, *extra: str) -> list[dict]:
    """`webstats refresh`, asserting success; returns its JSON step records."""
    proc = run_cli(settings, "refresh", "--logs", str(logs), *VERSION_ARGS, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json_lines(proc.stdout)


def _norm(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return int(value) if float(value).is_integer() else float(value)
    return value


def query(settings: Settings, sql: str) -> list[tuple]:
    """Rows of `sql` in the settings' warehouse, values normalised across engines."""
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.duckdb_path), read_only=True)
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
    else:
        import psycopg

        with psycopg.connect(options=f"-csearch_path={settings.pg_schema}") as conn:
            rows = conn.execute(sql).fetchall()
    return [tuple(_norm(v) for v in r) for r in rows]


#: load-order bookkeeping (which load and which triple batch delivered a row), not data
WATERMARK_COLUMNS = ("source_file_id", "ips_batch_file_id", "file_id")


def marts(settings: Settings, with_stamp: bool = False) -> dict[str, list[tuple]]:
    """Every served mart's rows, sorted; watermark columns left out (they follow the load order)."""
    out = {}
    for table in MARTS:
        cols = [
            r[0]
            for r in query(
                settings,
                "select column_name from information_schema.columns where table_name = "
                f"'{table}' and table_schema = '{_schema(settings)}' order by ordinal_position",
            )
            if r[0] not in WATERMARK_COLUMNS
        ]
        out[table] = sorted(query(settings, f"select {', '.join(cols)} from {table}"), key=repr)
    stamp = ", built_at" if with_stamp else ""
    info = f"select valid_thru, as_of_date, bioc_release, bioc_devel{stamp} from webstats_info"
    out["webstats_info"] = query(settings, info)
    return out


def _schema(settings: Settings) -> str:
    return "main" if settings.target == "duckdb" else settings.pg_schema
