"""Shared fixtures: real PostgreSQL schemas, isolated settings per test.

PostgreSQL tests really use the server on PGHOST (default 127.0.0.1:5432). Outside CI a
missing server skips them; in CI (CI=true) it is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from webstats.config import Settings, pg_defaults

pg_defaults()

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "legacy"


def _pg_connect():
    import psycopg

    return psycopg.connect(autocommit=True, connect_timeout=5)


def postgres_or_skip() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL cannot be reached."""
    try:
        _pg_connect().close()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


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


def make_settings(target: str, tmp_path: Path, pg_schema: str | None = None) -> Settings:
    """Settings for an isolated warehouse: its own DuckDB file or its own Postgres schema."""
    from webstats.config import PROJECT_DIR

    return Settings(
        target=target,
        duckdb_path=(tmp_path / "warehouse.duckdb").resolve(),
        pg_schema=pg_schema or "webstats",
        project_dir=PROJECT_DIR,
        public_base_url="https://bioconductor.org",
    )


@pytest.fixture(params=["duckdb", "postgres"])
def target_settings(request, tmp_path: Path) -> Settings:
    """Run a test once on a fresh DuckDB file and once on a fresh Postgres schema."""
    if request.param == "duckdb":
        return make_settings("duckdb", tmp_path)
    schema = request.getfixturevalue("pg_schema")
    return make_settings("postgres", tmp_path, schema)
