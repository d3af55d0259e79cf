"""The dbt subprocess (webstats/jobs/dbt_child.py) ends without Python's teardown, and cleanly.

It must still leave the DuckDB file complete (checkpointed: no write-ahead log for the next
reader to replay), hand back dbt's exit code, and say nothing dbt did not say.
"""

from __future__ import annotations

import pytest

from webstats.jobs.dbt import DbtError, run_dbt

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
