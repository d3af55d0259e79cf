"""Defence in depth (issue 15): the site's database access can read the served tables and
nothing else. On DuckDB the renderer's connections have external access off (no COPY TO, no
read_text, no ATTACH) and cannot switch it back on; on PostgreSQL the README's read-only role
has no file privileges and the renderer's transactions are read-only.
"""

from __future__ import annotations

import secrets

import psycopg
import pytest
import sqlalchemy as sa

from renderer.app import create_app
from webstats.core import warehouse as wh

ESCAPES = [
    "copy (select 1 as x) to '{out}' (format csv)",
    "select * from read_text('/etc/hostname')",
    "select * from read_csv('/etc/passwd')",
    "attach '{out}.db' as other",
    "set enable_external_access = true",
]


def test_duckdb_site_connection_cannot_touch_files(api_warehouses, tmp_path):
    settings = api_warehouses("fixture-duckdb")
    engine = wh.sqlalchemy_engine(settings, read_only=True)
    out = tmp_path / "leak.csv"
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from stats")).scalar() > 0
            for sql in ESCAPES:
                with pytest.raises(sa.exc.DBAPIError):
                    conn.execute(sa.text(sql.format(out=out)))
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []
    # ...and the site still serves from it.
    client = create_app(settings).test_client()
    assert client.get("/api/top/last-year/3").status_code == 200


README_ROLE = """
create role {role} login;
grant usage on schema {schema} to {role};
grant select on all tables in schema {schema} to {role};
alter default privileges in schema {schema} grant select on tables to {role};
"""


def test_postgres_readme_role_has_no_file_privileges(api_warehouses, tmp_path, monkeypatch):
    settings = api_warehouses("fixture-postgres")
    role = f"webstats_web_{secrets.token_hex(4)}"
    admin = psycopg.connect(autocommit=True)
    admin.execute(README_ROLE.format(role=role, schema=settings.pg_schema))
    try:
        monkeypatch.setenv("PGUSER", role)
        engine = wh.sqlalchemy_engine(settings, read_only=True)
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("select count(*) from stats")).scalar() > 0
                for sql in (
                    f"copy (select 1) to '{tmp_path / 'leak.csv'}'",
                    "select pg_read_file('/etc/hostname')",
                    "select * from pg_ls_dir('.')",
                    "create temp table t (x int)",
                    "delete from stats",
                ):
                    with pytest.raises(sa.exc.DBAPIError):
                        conn.execute(sa.text(sql))
                    conn.rollback()
                assert conn.execute(sa.text("show default_transaction_read_only")).scalar() == "on"
        finally:
            engine.dispose()
        client = create_app(settings).test_client()
        assert client.get("/api/top/last-year/3").status_code == 200
    finally:
        admin.execute(f"drop owned by {role}")
        admin.execute(f"drop role {role}")
        admin.close()
