"""The dbt subprocess (webstats/jobs/dbt_child.py) ends without Python's teardown, and cleanly.

It must still leave the DuckDB file complete (checkpointed: no write-ahead log for the next
reader to replay), hand back dbt's exit code, and say nothing dbt did not say.
"""

from __future__ import annotations

import pytest

from webstats.jobs.dbt import DbtError, DbtSession, run_dbt

SRC = "/packages/3.18/bioc/src/contrib/"


def test_a_duckdb_build_leaves_no_wal_no_warnings_and_its_exit_code(
    new_warehouse, logs, real_dbt_process
):
    w = new_warehouse("duckdb").with_manifest(logs.MANIFEST)
    log = [logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-10 08:00:00")]
    logs.write(w.tmp / "logs" / "E1.2024-01-10-08.a.gz", logs.cloudfront(log))
    w.load_and_build(w.tmp / "logs", dbt_vars=logs.VERSIONS)
    settings = w.settings
    wal = settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal")

    output = run_dbt(settings, ["build"], logs.VERSIONS)
    assert "Completed successfully" in output
    assert "Warning" not in output and "leaked" not in output
    assert settings.duckdb_path.exists() and not wal.exists()

    w.execute("update stats set download_count = null")
    # the cause comes first: the failing node and dbt's message about it
    cause = r"^dbt test: test assert_categorystats_downloads_equal_package_sum: Got 2 results"
    with pytest.raises(DbtError, match=cause):
        run_dbt(settings, ["test", "--select", "stats"], logs.VERSIONS)
    assert not wal.exists()

    # a model that fails: its name and the database's message
    w.execute("alter table downloads rename to downloads_gone")
    cause = r"^dbt run: model hourly_downloads: Catalog Error: Table with name downloads does"
    with pytest.raises(DbtError, match=cause):
        run_dbt(settings, ["run", "--select", "hourly_downloads"], logs.VERSIONS)


def test_a_session_runs_several_commands_in_one_process_and_lets_the_job_write_between(
    new_warehouse, logs, real_dbt_process
):
    """DbtSession (the nightly job's freshness check and build): one dbt process, the
    project parsed once, the DuckDB file closed after each command (the job writes it in
    between), a failing command reported like run_dbt's and the next one still run."""
    w = new_warehouse("duckdb").with_manifest(logs.MANIFEST)
    log = [logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-10 08:00:00")]
    logs.write(w.tmp / "logs" / "E1.2024-01-10-08.a.gz", logs.cloudfront(log))
    w.load_and_build(w.tmp / "logs", dbt_vars=logs.VERSIONS)
    wal = w.settings.duckdb_path.with_name(w.settings.duckdb_path.name + ".wal")

    with DbtSession(w.settings, logs.VERSIONS) as session:
        assert "Completed successfully" in session.run(["build"])
        pid = session.proc.pid
        w.execute("update stats set download_count = null")  # the file is free between
        cause = r"^dbt test: test assert_categorystats_downloads_equal_package_sum: Got 2"
        with pytest.raises(DbtError, match=cause):
            session.run(["test", "--select", "stats"])
        rebuilt = session.run(["run", "--select", "stats", "--full-refresh"])
        assert "Completed successfully" in rebuilt
        assert session.proc.pid == pid  # the same process throughout
        proc = session.proc
    assert proc.poll() == 0 and not wal.exists()
    assert w.query("select count(*) from stats where download_count is null") == [(0,)]
