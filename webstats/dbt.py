"""Running dbt for a target.

dbt runs in a subprocess with the profile's environment variables set from Settings. Its
target and log directories belong to the warehouse (one per DuckDB file or Postgres schema,
under the project's `target/webstats/`): runs against different warehouses never share
compiled state, and the nightly run against the same warehouse reuses dbt's partial-parse
file instead of parsing the project again. Writers hold the warehouse lock, so two dbt runs
never use one state directory at once.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .config import Settings

#: the dbt subprocess: dbt's command line, ended without Python's teardown (webstats/dbt_child.py)
DBT_MAIN = "from webstats.dbt_child import main; main()"


class DbtError(RuntimeError):
    """A dbt command failed; the message carries the end of dbt's output."""


def dbt_args(settings: Settings, command: Sequence[str], dbt_vars: Mapping | None) -> list[str]:
    args = [
        *command,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.profiles_dir),
        "--target",
        settings.target,
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    return args


def state_dir(settings: Settings) -> Path:
    """dbt's target/log directory for this project, target and warehouse."""
    where = settings.duckdb_path if settings.target == "duckdb" else settings.pg_schema
    key = hashlib.sha1(f"{settings.target}:{where}".encode()).hexdigest()[:12]
    path = settings.project_dir / "target" / "webstats" / f"{settings.target}-{key}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dbt(
    settings: Settings,
    command: Sequence[str],
    dbt_vars: Mapping | None = None,
    quiet: bool = True,
) -> str:
    """Run `dbt <command>` against the settings' target; return its output or raise DbtError."""
    work = state_dir(settings)
    env = settings.dbt_env()
    env["DBT_TARGET_PATH"] = str(work / "target")
    env["DBT_LOG_PATH"] = str(work / "logs")
    proc = subprocess.run(
        [sys.executable, "-c", DBT_MAIN, *dbt_args(settings, command, dbt_vars)],
        env=env,
        cwd=settings.project_dir,
        capture_output=quiet,
        text=True,
    )
    output = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-30:])
        raise DbtError(f"dbt {' '.join(command)} failed (exit {proc.returncode})\n{tail}")
    return output


def build(
    settings: Settings,
    full_refresh: bool = False,
    dbt_vars: Mapping | None = None,
    quiet: bool = True,
    select: Sequence[str] = (),
) -> str:
    """`dbt build`: seeds, models and their tests, incremental unless full_refresh."""
    command = ["build"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", *select]
    return run_dbt(settings, command, dbt_vars, quiet)
