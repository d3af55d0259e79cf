"""The writer lock covers the whole build: a `webstats build` killed with `kill -9` (the
webstats process alone, at several points of its dbt run) never leaves its dbt child
writing, and the site keeps the tables of one build (the previous one; on DuckDB the
published file, on PostgreSQL the live schema); the next build then completes normally.

The dbt process must be webstats' own child here (`real_dbt_process`), not a fork of the
suite's dbt launcher.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

#: seconds after dbt started at which the job is killed: at once (parsing), and later (models
#: being written); on a busy machine the later point moves later, never earlier. (A third
#: point at 4 s, between the two, killed the same kind of moment again: one more dbt start
#: of the real launcher, 5-10 s per engine.)
KILL_AFTER = (0.0, 3.0)


def _kill_during_dbt(w, dbt_child, delay: float) -> psutil.Process:
    """Start `webstats build`, kill -9 its own process `delay` s into dbt; the dbt child."""
    proc = w.start_cli("build", "--var", "bioc_release=3.18", "--var", "bioc_devel=3.19")
    child = None
    while proc.poll() is None and child is None:
        child = dbt_child(proc)
        time.sleep(0.02)  # polling, not a timed assert
    if child is None:
        pytest.fail(f"the build ended before dbt could be seen: {proc.communicate()}")
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)  # the webstats process only, not its group
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return child


def _one_build(served) -> None:
    """The served tables agree with each other, as only tables of one build do."""
    (monthly,) = served.query("select sum(download_count) from stats where is_monthly")[0]
    (category,) = served.query(
        "select sum(download_count) from categorystats where is_monthly"
    )[0]
    (hourly,) = served.query("select sum(downloads) from hourly_downloads")[0]
    (minutes,) = served.query("select sum(downloads) from minute_downloads")[0]
    assert monthly == category == hourly == minutes


def test_kill_9_never_leaves_dbt_writing_and_the_site_one_build(
    warehouse, legacy, tmp_path, reference_2023, real_dbt_process, dbt_child
):
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01", "2023-02")
    w.refresh(logs)
    before = w.served_marts(with_stamp=True)
    loaded = w.cli("load", str(legacy.log_dir(logs, "2023-")))
    assert loaded.returncode == 0, loaded.stderr

    for delay in KILL_AFTER:
        child = _kill_during_dbt(w, dbt_child, delay)
        gone, alive = psutil.wait_procs([child], timeout=30)
        assert alive == []  # the dbt child died with its parent: no writer without the lock
        assert w.served_marts(with_stamp=True) == before
        _one_build(w.served())

    final = w.cli("build", "--var", "bioc_release=3.18", "--var", "bioc_devel=3.19")
    assert final.returncode == 0, final.stdout + final.stderr
    assert w.marts() == reference_2023
    _one_build(w.served())
    served = w.served_marts()
    assert served == {k: v for k, v in reference_2023.items() if k in served}
