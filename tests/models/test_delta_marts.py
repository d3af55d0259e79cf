"""The PostgreSQL stage's delta marts (webstats/jobs/stage.py, DELTA_MARTS) are merged by the
models' own unique keys on PostgreSQL: a key the swap did not know would leave old rows
beside new ones (daily_downloads recounts whole days there, so its key is the day alone)."""

from __future__ import annotations

import json
import os
import subprocess

from webstats.core.settings import PROJECT_DIR
from webstats.jobs.dbt import dbt_command
from webstats.jobs.stage import DELTA_MARTS


def _postgres_manifest(tmp_path) -> dict:
    """The project parsed for the postgres target (a parse opens no connection)."""
    proc = subprocess.run(
        [
            *dbt_command(),
            "parse",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR / "profiles"),
            "--target",
            "postgres",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        env=dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


def test_delta_marts_keys_are_the_models_unique_keys(tmp_path):
    nodes = _postgres_manifest(tmp_path)["nodes"]
    for table, (time_column, keys) in DELTA_MARTS.items():
        config = nodes[f"model.webstats.{table}"]["config"]
        assert config["materialized"] == "incremental", table
        unique_key = config["unique_key"]
        unique_key = [unique_key] if isinstance(unique_key, str) else unique_key
        assert list(keys) == list(unique_key), table
        assert time_column in keys, table
        if config.get("delete_from_column"):
            assert config["delete_from_column"] == time_column, table
