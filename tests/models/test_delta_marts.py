"""The PostgreSQL stage's delta marts (webstats/jobs/stage.py, DELTA_MARTS) are merged by the
models' own unique keys: a key the swap did not know would leave old rows beside new ones."""

from __future__ import annotations

from webstats.jobs.stage import DELTA_MARTS


def test_delta_marts_keys_are_the_models_unique_keys(athena_compiled):
    nodes = athena_compiled("full").manifest["nodes"]
    for table, (time_column, keys) in DELTA_MARTS.items():
        config = nodes[f"model.webstats.{table}"]["config"]
        assert config["materialized"] == "incremental", table
        assert list(keys) == list(config["unique_key"]), table
        assert time_column in keys, table
        if config.get("delete_from_column"):
            assert config["delete_from_column"] == time_column, table
