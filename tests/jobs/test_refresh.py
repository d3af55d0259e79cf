"""`webstats refresh`: idempotent, catches up, all-or-nothing, one writer at a time."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import time

import pytest

from renderer.app import create_app
from webstats.cli import main
from webstats.core.runs import last_run
from webstats.core.warehouse import BUSY_EXIT, lock_path, served_path
from webstats.jobs.stage import DELTA_MARTS, staging_schemas

STEPS = ["lock", "stage", "load", "build", "swap", "summary"]


def test_refresh_twice_then_catch_up(warehouse, legacy, tmp_path, reference_2023):
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01", "2023-02", "2023-03")

    first = w.refresh(logs)
    assert [r["step"] for r in first] == STEPS
    assert all(r["ok"] for r in first) and all("seconds" in r for r in first)
    assert first[2]["loaded_files"] > 0
    # the build says which project and manifest it used
    assert first[3]["project"] == str(w.settings.project_dir)
    assert first[3]["manifest"] == str(w.settings.project_dir / "seeds" / "packages.csv")
    after_first = w.marts()

    second = w.refresh(logs)
    assert second[2]["loaded_files"] == 0 and second[2]["skipped_files"] == first[2]["files"]
    assert w.marts() == after_first

    # the job was down for nine months: one run loads them all and gives the full result
    legacy.log_dir(logs, "2023-")
    third = w.refresh(logs)
    assert third[2]["loaded_files"] > 0
    assert third[-1]["valid_thru"] == "2023-12-31"
    assert w.marts() == reference_2023
    if w.target == "postgres":
        # the first run built the large served marts whole; later ones staged only their
        # changed rows, merged into the live tables by the swap (none on the idle second)
        swaps = [next(r for r in run if r["step"] == "swap") for run in (first, second, third)]
        assert "delta_rows" not in swaps[0]
        assert swaps[1]["delta_rows"] == dict.fromkeys(DELTA_MARTS, 0)
        assert set(swaps[2]["delta_rows"]) == set(DELTA_MARTS)
        assert all(n > 0 for n in swaps[2]["delta_rows"].values())


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait_for_build(proc, w, dbt_child) -> None:
    """Block until the refresh is inside `dbt build` and has written into its stage."""
    nxt, _ = staging_schemas(w.settings.pg_schema)
    while proc.poll() is None:
        if dbt_child(proc) is not None:
            if w.target == "duckdb":
                return
            written = w.rows(
                "select count(*) from information_schema.tables where table_schema = "
                f"'{nxt}' and table_name = 'stg_requests'",
            )
            if written[0][0]:
                return
        time.sleep(0.05)  # polling, not a timed assert
    pytest.fail(f"refresh ended before its build could be killed: {proc.communicate()}")


def test_killed_build_leaves_previous_tables_and_next_run_recovers(
    warehouse, legacy, tmp_path, reference_2023, real_dbt_process, dbt_child
):
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01", "2023-02")
    w.refresh(logs)
    before = w.served_marts(with_stamp=True)
    site = served_path(w.settings)
    if site is not None:
        digest = _sha(site)

    legacy.log_dir(logs, "2023-")
    proc = w.start_cli("refresh", "--logs", str(logs), *legacy.version_args)
    _wait_for_build(proc, w, dbt_child)
    assert w.served_marts(with_stamp=True) == before  # the site answers during the build
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job, dbt included, as systemd would
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert w.served_marts(with_stamp=True) == before  # the previous build still serves
    if site is not None:
        assert _sha(site) == digest
    else:
        # the killed run left the unserved tables in its stage; any writer taking the lock
        # (here `prune`, which deletes nothing so long ago) moves them back first
        assert "downloads" not in _live_tables(w)
        pruned = w.cli("prune", "--keep-days", "3650")
        assert pruned.returncode == 0, pruned.stdout + pruned.stderr
        assert {"downloads", "int_package_requests"} <= _live_tables(w)
        assert w.served_marts(with_stamp=True) == before

    records = w.refresh(logs)
    assert records[-1]["ok"]
    assert w.marts() == reference_2023
    served = w.served_marts()
    assert served == {k: v for k, v in reference_2023.items() if k in served}
    if site is None:
        schemas = w.rows(
            "select schema_name from information_schema.schemata where schema_name like "
            f"'{w.settings.pg_schema}__%'",
        )
        assert schemas == []


def _live_tables(w) -> set[str]:
    rows = w.rows(
        "select table_name from information_schema.tables where table_schema = "
        f"'{w.settings.pg_schema}' and table_type = 'BASE TABLE'",
    )
    return {r[0] for r in rows}


def _lock_is_held(w) -> bool:
    if w.target == "duckdb":
        fd = os.open(lock_path(w.settings.duckdb_path), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    rows = w.rows("select count(*) from pg_locks where locktype = 'advisory' and granted")
    return rows[0][0] > 0


def test_two_refreshes_at_once(warehouse, legacy, tmp_path, monkeypatch, capsys):
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01")
    first = w.start_cli("refresh", "--logs", str(logs), *legacy.version_args)
    line = first.stdout.readline()  # written once the lock is held
    assert '"step": "lock"' in line and '"ok": true' in line, line + first.stderr.read()
    assert _lock_is_held(w)

    for key, value in w.cli_env().items():
        monkeypatch.setenv(key, value)
    status = main(["refresh", "--logs", str(logs), *legacy.version_args])
    err = capsys.readouterr().err
    assert status == BUSY_EXIT
    assert "another webstats run holds" in err

    out, errs = first.communicate()
    assert first.returncode == 0, out + errs
    assert w.json_lines(line + out)[-1]["ok"]
    # the busy run did nothing and recorded nothing: the last run is the first one, a success
    run = last_run(w.settings)
    assert run is not None and (run["ok"], run["problems"], run["error"]) == (True, 0, None)

    # a night with a file that cannot be read: built anyway, reported as not ok, in the API
    (logs / "garbage.log").write_text("this is not a log line\n")
    proc = w.cli("refresh", "--logs", str(logs), *legacy.version_args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run = last_run(w.settings)
    assert (run["ok"], run["problems"], run["error"]) == (False, 1, None)
    status = create_app(w.settings).test_client().get("/api/status").get_json()
    assert status["last_run"] == run
    assert status["last_log_file"]["name"].startswith("E")  # the legacy CloudFront files


def test_refresh_reports_bad_input(warehouse, legacy, tmp_path):
    w = warehouse.with_manifest(legacy.manifest)
    proc = w.cli("refresh", "--logs", str(tmp_path / "missing"))
    assert proc.returncode != 0
    assert "missing" in proc.stderr


@pytest.mark.parametrize("warehouse", ["postgres"], indirect=True)  # the delta stage is PG's
def test_full_refresh_stages_the_delta_marts_whole(warehouse, legacy, tmp_path):
    """On PostgreSQL `--full-refresh` rebuilds the large served marts in the stage (no delta
    merged into the live ones) and ends with the same marts."""
    w = warehouse.with_manifest(legacy.manifest)
    w.refresh(legacy.log_dir(tmp_path / "logs", "2023-01"))
    before = w.marts()
    proc = w.cli(
        "refresh", "--full-refresh", "--logs", str(tmp_path / "logs"), *legacy.version_args
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    swap = next(r for r in w.json_lines(proc.stdout) if r.get("step") == "swap")
    assert "delta_rows" not in swap
    assert w.marts() == before
