"""Fixtures for the jobs' tests: the marts every incremental path must end with."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def reference_2023(new_warehouse, legacy) -> dict:
    """Marts of a plain load + build of all 2023 legacy logs."""
    w = new_warehouse("duckdb").with_manifest(legacy.manifest)
    w.load_and_build(legacy.log_dir(w.tmp / "logs", "2023-"), dbt_vars=legacy.dbt_vars)
    return w.marts()
