"""The dbt subprocess (webstats/dbt_child.py) ends without Python's teardown, and cleanly.

It must still leave the DuckDB file complete (checkpointed: no write-ahead log for the next
reader to replay), hand back dbt's exit code, and say nothing dbt did not say.
"""

from __future__ import annotations

import pytest
from logbuilder import MANIFEST, Req, cloudfront_text, write_log
from warehouse_sql import execute
from wstest import LEGACY_VARS, build_warehouse, make_settings

from webstats.dbt import DbtError, run_dbt

SRC = "/packages/3.18/bioc/src/contrib/"


def test_a_duckdb_build_leaves_no_wal_no_warnings_and_its_exit_code(tmp_path):
    log = [Req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-10 08:00:00")]
    write_log(tmp_path / "logs" / "E1.2024-01-10-08.a.gz", cloudfront_text(log))
    settings, _ = build_warehouse(
        make_settings("duckdb", tmp_path), [tmp_path / "logs"], MANIFEST, LEGACY_VARS
    )
    wal = settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal")

    output = run_dbt(settings, ["build"], LEGACY_VARS)
    assert "Completed successfully" in output
    assert "Warning" not in output and "leaked" not in output
    assert settings.duckdb_path.exists() and not wal.exists()

    execute(settings, "update stats set download_count = null")
    with pytest.raises(DbtError, match=r"failed \(exit 1\)"):
        run_dbt(settings, ["test", "--select", "stats"], LEGACY_VARS)
    assert not wal.exists()
