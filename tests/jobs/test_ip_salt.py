"""The IP hash's secret (docs/privacy.md): a build on PostgreSQL refuses the public
development salt (and a short one) before writing anything; on DuckDB it warns and builds.
One dbt run per engine (about 9 s each): the two cases share the guard's one test."""

from __future__ import annotations

import pytest

from webstats.jobs.dbt import DbtError, build


def test_postgres_refuses_the_development_salt(new_warehouse, monkeypatch):
    w = new_warehouse("postgres")
    monkeypatch.delenv("WEBSTATS_IP_SALT", raising=False)  # the public default
    with pytest.raises(DbtError, match="WEBSTATS_IP_SALT is unset, the public development"):
        build(w.settings, select=["stg_categories"])
    # nothing was written: not even the raw tables of on-run-start
    tables = "select count(*) from information_schema.tables where table_schema = ?"
    assert w.query(tables, (w.schema,)) == [(0,)]


def test_duckdb_warns_about_a_weak_salt(new_warehouse, monkeypatch):
    w = new_warehouse("duckdb")
    monkeypatch.setenv("WEBSTATS_IP_SALT", "short-secret")
    output = build(w.settings, select=["categories"])
    assert "WARNING: WEBSTATS_IP_SALT is unset or weak" in output
