"""Pipeline fixtures: warehouses built once per module and target (builds take seconds)."""

from __future__ import annotations

import uuid

import pytest
from wstest import _pg_connect, make_settings, postgres_or_skip


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def module_target(request, tmp_path_factory):
    """(target name, fresh Settings) shared by a module's tests; Postgres schema dropped after."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "duckdb":
        yield make_settings("duckdb", tmp)
        return
    postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'create schema "{schema}"')
    try:
        yield make_settings("postgres", tmp, schema)
    finally:
        with _pg_connect() as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')
