"""`webstats refresh`: idempotent, catches up, all-or-nothing, one writer at a time."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import time

import psutil
import pytest
from opshelp import (
    VERSION_ARGS,
    isolated,
    json_lines,
    log_dir,
    marts,
    query,
    refresh,
    run_cli,
    start_cli,
)

from webstats.dbt import DBT_MAIN
from webstats.locking import BUSY_EXIT, lock_path
from webstats.staging import next_path, staging_schemas

STEPS = ["lock", "stage", "load", "build", "swap", "summary"]


def test_refresh_twice_then_catch_up(target_settings, tmp_path, reference_2023):
    settings = isolated(target_settings, tmp_path)
    logs = log_dir(tmp_path / "logs", "2023-01", "2023-02", "2023-03")

    first = refresh(settings, logs)
    assert [r["step"] for r in first] == STEPS
    assert all(r["ok"] for r in first) and all("seconds" in r for r in first)
    assert first[2]["loaded_files"] > 0
    after_first = marts(settings)

    second = refresh(settings, logs)
    assert second[2]["loaded_files"] == 0 and second[2]["skipped_files"] == first[2]["files"]
    assert marts(settings) == after_first

    # the job was down for nine months: one run loads them all and gives the full result
    log_dir(logs, "2023-")
    third = refresh(settings, logs)
    assert third[2]["loaded_files"] > 0
    assert third[-1]["valid_thru"] == "2023-12-31"
    assert marts(settings) == reference_2023


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dbt_child(proc) -> psutil.Process | None:
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    return next((k for k in kids if DBT_MAIN in k.cmdline()), None)


def _wait_for_build(proc, settings) -> None:
    """Block until the refresh is inside `dbt build` and has written into its stage."""
    nxt, _ = staging_schemas(settings.pg_schema)
    while proc.poll() is None:
        if _dbt_child(proc) is not None:
            if settings.target == "duckdb":
                return
            written = query(
                settings,
                "select count(*) from information_schema.tables where table_schema = "
                f"'{nxt}' and table_name = 'stg_requests'",
            )
            if written[0][0]:
                return
        time.sleep(0.05)  # polling, not a timed assert
    pytest.fail(f"refresh ended before its build could be killed: {proc.communicate()}")


def test_killed_build_leaves_previous_tables_and_next_run_recovers(
    target_settings, tmp_path, reference_2023
):
    settings = isolated(target_settings, tmp_path)
    logs = log_dir(tmp_path / "logs", "2023-01", "2023-02")
    refresh(settings, logs)
    before = marts(settings, with_stamp=True)
    if settings.target == "duckdb":
        digest = _sha(settings.duckdb_path)

    log_dir(logs, "2023-")
    proc = start_cli(settings, "refresh", "--logs", str(logs), *VERSION_ARGS)
    _wait_for_build(proc, settings)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job, dbt included, as systemd would
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert marts(settings, with_stamp=True) == before  # the previous build still serves
    if settings.target == "duckdb":
        assert _sha(settings.duckdb_path) == digest
        assert next_path(settings.duckdb_path).exists()  # the stale copy, cleaned up next

    records = refresh(settings, logs)
    assert records[-1]["ok"]
    assert marts(settings) == reference_2023
    if settings.target == "duckdb":
        assert not next_path(settings.duckdb_path).exists()
    else:
        schemas = query(
            settings,
            "select schema_name from information_schema.schemata where schema_name like "
            f"'{settings.pg_schema}__%'",
        )
        assert schemas == []


def _lock_is_held(settings) -> bool:
    if settings.target == "duckdb":
        fd = os.open(lock_path(settings.duckdb_path), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    rows = query(settings, "select count(*) from pg_locks where locktype = 'advisory' and granted")
    return rows[0][0] > 0


def test_two_refreshes_at_once(target_settings, tmp_path, monkeypatch, capsys):
    settings = isolated(target_settings, tmp_path)
    logs = log_dir(tmp_path / "logs", "2023-01")
    first = start_cli(settings, "refresh", "--logs", str(logs), *VERSION_ARGS)
    line = first.stdout.readline()  # written once the lock is held
    assert '"step": "lock"' in line and '"ok": true' in line, line + first.stderr.read()
    assert _lock_is_held(settings)

    from opshelp import cli_env

    from webstats.cli import main

    for key, value in cli_env(settings).items():
        monkeypatch.setenv(key, value)
    status = main(["refresh", "--logs", str(logs), *VERSION_ARGS])
    err = capsys.readouterr().err
    assert status == BUSY_EXIT
    assert "another webstats run holds" in err

    out, errs = first.communicate()
    assert first.returncode == 0, out + errs
    assert json_lines(line + out)[-1]["ok"]


def test_refresh_reports_bad_input(target_settings, tmp_path):
    settings = isolated(target_settings, tmp_path)
    proc = run_cli(settings, "refresh", "--logs", str(tmp_path / "missing"))
    assert proc.returncode != 0
    assert "missing" in proc.stderr
