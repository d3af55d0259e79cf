"""Fixtures for the API tests: an app over the hand-made events, four ways.

`client` runs each test on the events written as the contract tables directly ("fixture") and
on the same events written as CloudFront log files and built by the real pipeline (loader +
dbt, "pipeline"), each on DuckDB and on PostgreSQL. The API only reads, so each warehouse is
built once per session; every test gets a fresh app (and so a fresh response cache).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_dataset import build_fixture_warehouse, manifest_csv, write_cloudfront_logs
from flask.testing import FlaskClient
from wstest import build_warehouse, make_settings, pg_connect, postgres_or_skip

from renderer import create_app
from webstats.config import Settings

SOURCES = ["fixture-duckdb", "fixture-postgres", "pipeline-duckdb", "pipeline-postgres"]


@pytest.fixture(scope="session")
def _schemas() -> Iterator[list[str]]:
    """Postgres schemas created for this session, dropped at its end."""
    names: list[str] = []
    yield names
    if names:
        with pg_connect() as conn:
            for name in names:
                conn.execute(f'drop schema if exists "{name}" cascade')


@pytest.fixture(scope="session")
def _warehouses(tmp_path_factory, _schemas) -> dict[str, Settings]:
    return {}


def _build(source: str, tmp: Path, schemas: list[str]) -> Settings:
    how, target = source.split("-")
    schema = None
    if target == "postgres":
        postgres_or_skip()
        schema = f"t_api_{uuid.uuid4().hex[:10]}"
        with pg_connect() as conn:
            conn.execute(f'create schema "{schema}"')
        schemas.append(schema)
    settings = make_settings(target, tmp, schema)
    if how == "fixture":
        build_fixture_warehouse(settings)
        return settings
    logs = write_cloudfront_logs(tmp / "logs")
    built, _summary = build_warehouse(settings, logs, manifest_csv(tmp / "manifest.csv"))
    return built


def warehouse_for(request, source: str) -> Settings:
    cache: dict[str, Settings] = request.getfixturevalue("_warehouses")
    if source not in cache:
        if source.endswith("postgres"):
            postgres_or_skip()
        tmp = request.getfixturevalue("tmp_path_factory").mktemp(source)
        cache[source] = _build(source, tmp, request.getfixturevalue("_schemas"))
    return cache[source]


@pytest.fixture(params=SOURCES)
def client(request) -> FlaskClient:
    app = create_app(warehouse_for(request, request.param))
    app.testing = True
    return app.test_client()


@pytest.fixture(params=["fixture-duckdb", "fixture-postgres"])
def fixture_settings(request) -> Settings:
    """The directly written warehouse (for the schemathesis run, which needs no pipeline)."""
    return warehouse_for(request, request.param)
