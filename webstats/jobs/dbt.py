"""Running dbt for a target.

dbt runs in a subprocess with the profile's environment variables set from Settings. Its
target and log directories belong to the warehouse (one per DuckDB file or Postgres schema,
under the project's `target/webstats/`): runs against different warehouses never share
compiled state, and the nightly run against the same warehouse reuses dbt's partial-parse
file instead of parsing the project again. Writers hold the warehouse lock, so two dbt runs
never use one state directory at once.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from webstats.core.settings import Settings
from webstats.core.warehouse import state_key

#: the dbt subprocess: dbt's command line, ended without Python's teardown (dbt_child.py)
DBT_MAIN = "from webstats.jobs.dbt_child import main; main()"
#: environment variable naming another command to run dbt with (see `dbt_command`)
DBT_COMMAND_ENV = "WEBSTATS_DBT_COMMAND"


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
    path = settings.project_dir / "target" / "webstats" / state_key(settings)
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_command() -> list[str]:
    """The command that runs dbt: this Python running webstats' dbt entry point, unless
    $WEBSTATS_DBT_COMMAND names another one (a command line taking dbt's arguments; the
    test suite points it at a process that has dbt imported already and forks a run for
    each call, which saves dbt's three seconds of imports per run)."""
    other = os.environ.get(DBT_COMMAND_ENV)
    return shlex.split(other) if other else [sys.executable, "-c", DBT_MAIN]


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
    # dbt's own defaults write a debug-level log file and manifest/run-results JSON on every
    # run, about 2 s of a small build; nothing here reads them (set either to get them).
    env.setdefault("DBT_LOG_LEVEL_FILE", "info")
    env.setdefault("DBT_WRITE_JSON", "false")
    proc = subprocess.run(
        [*dbt_command(), *dbt_args(settings, command, dbt_vars)],
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
    """`dbt build`: seeds, models and their data tests, incremental unless full_refresh.

    The models' unit tests check the SQL, not the data, so they are left to `dbt test
    --select test_type:unit` (the test suite runs them) instead of costing every nightly
    build a second and more.
    """
    command = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", *select]
    return run_dbt(settings, command, dbt_vars, quiet)
