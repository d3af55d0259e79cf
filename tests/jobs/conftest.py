"""Fixtures for the jobs' tests: the marts every incremental path must end with, and the
dbt process of a running job."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import psutil
import pytest

from webstats.jobs.dbt import DBT_MAIN, DBT_SESSION


def _dbt_child(proc: subprocess.Popen) -> psutil.Process | None:
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    # a job's dbt runs in a session (the build, the refresh's freshness check) or alone
    return next((k for k in kids if _is_dbt(" ".join(_cmdline(k)))), None)


def _is_dbt(cmdline: str) -> bool:
    return DBT_MAIN in cmdline or DBT_SESSION in cmdline


def _cmdline(proc: psutil.Process) -> list[str]:
    """A child's command line; [] for one that has just ended (a zombie, or gone)."""
    try:
        return proc.cmdline()
    except psutil.NoSuchProcess:  # ZombieProcess too
        return []


@pytest.fixture(scope="session")
def dbt_child() -> Callable[[subprocess.Popen], psutil.Process | None]:
    """`dbt_child(proc)`: the dbt process a job started (with `real_dbt_process`), or None."""
    return _dbt_child


@pytest.fixture(scope="session")
def reference_2023(new_warehouse, legacy) -> dict:
    """Marts of a plain load + build of all 2023 legacy logs."""
    w = new_warehouse("duckdb").with_manifest(legacy.manifest)
    w.load_and_build(legacy.log_dir(w.tmp / "logs", "2023-"), dbt_vars=legacy.dbt_vars)
    return w.marts()
