"""Fixtures for the API tests: an app over the hand-made data, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import pytest
from api_dataset import build_fixture_warehouse
from flask.testing import FlaskClient

from renderer import create_app
from webstats.config import Settings


@pytest.fixture
def fixture_settings(target_settings: Settings) -> Settings:
    """A warehouse holding the contract tables for `dataset.EVENTS` (both engines)."""
    build_fixture_warehouse(target_settings)
    return target_settings


@pytest.fixture
def client(fixture_settings: Settings) -> FlaskClient:
    app = create_app(fixture_settings)
    app.testing = True
    return app.test_client()
