"""An analyst's first `dbt build`, with dbt alone: no `webstats load` or `import-legacy`
before it. The project creates the tables Python otherwise writes (raw requests, ledger,
rejects, legacy statistics) empty at the start of the run (macros/raw/raw_tables.sql), so
the build succeeds on a fresh DuckDB file and a fresh PostgreSQL schema, with empty marts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from webstats.core.settings import PROJECT_DIR

#: the tables dbt reads as sources, which Python writes in normal operation
SOURCE_TABLES = (
    "raw_requests",
    "load_ledger",
    "load_rejects",
    "legacy_stats",
    "legacy_categorystats",
)
EMPTY_MARTS = ("downloads", "stats", "categorystats", "hourly_downloads", "package_scores")


def test_dbt_build_alone_on_a_fresh_warehouse(warehouse, tmp_path):
    dbt = Path(sys.executable).with_name("dbt")  # the dbt command line itself
    env = warehouse.settings.dbt_env()
    proc = subprocess.run(
        [
            str(dbt),
            "build",
            "--profiles-dir",
            "profiles",
            "--target",
            warehouse.target,
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for table in (*SOURCE_TABLES, *EMPTY_MARTS):
        assert warehouse.query(f"select count(*) from {table}") == [(0,)], table
