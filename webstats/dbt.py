"""Running dbt for a target, isolated per invocation.

dbt runs in a subprocess with the profile's environment variables set from Settings, and
with its own target/log directories, so that concurrent runs (tests, a refresh while an
analyst works) never share compiled state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from .config import Settings

DBT_MAIN = "from dbt.cli.main import cli; cli()"


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


def run_dbt(
    settings: Settings,
    command: Sequence[str],
    dbt_vars: Mapping | None = None,
    quiet: bool = True,
) -> str:
    """Run `dbt <command>` against the settings' target; return its output or raise DbtError."""
    with tempfile.TemporaryDirectory(prefix="webstats-dbt-") as work:
        env = settings.dbt_env()
        env["DBT_TARGET_PATH"] = os.path.join(work, "target")
        env["DBT_LOG_PATH"] = os.path.join(work, "logs")
        env.setdefault("DBT_PARTIAL_PARSE", "false")
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
