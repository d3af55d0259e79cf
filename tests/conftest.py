"""Shared fixtures: real PostgreSQL schemas, isolated settings per test.

PostgreSQL tests really use the server on PGHOST (default 127.0.0.1:5432). Outside CI a
missing server skips them; in CI (CI=true) it is a failure, never a skip. Helper functions
live in `wstest.py` (import them from there); the names are re-exported here for old imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from wstest import (  # noqa: F401  (re-exported)
    DATA,
    LEGACY,
    LEGACY_VARS,
    _pg_connect,
    build_warehouse,
    make_settings,
    postgres_or_skip,
    project_with_manifest,
)

from webstats.config import Settings


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty schema on the real PostgreSQL server, dropped afterwards."""
    postgres_or_skip()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'create schema "{name}"')
    try:
        yield name
    finally:
        with _pg_connect() as conn:
            conn.execute(f'drop schema if exists "{name}" cascade')


@pytest.fixture(params=["duckdb", "postgres"])
def target_settings(request, tmp_path: Path) -> Settings:
    """Run a test once on a fresh DuckDB file and once on a fresh Postgres schema."""
    if request.param == "duckdb":
        return make_settings("duckdb", tmp_path)
    schema = request.getfixturevalue("pg_schema")
    return make_settings("postgres", tmp_path, schema)
