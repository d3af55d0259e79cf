"""Reading marts back in tests, the same way on DuckDB and PostgreSQL."""

from __future__ import annotations

from webstats.config import Settings


def query(settings: Settings, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of `sql` (with %s-style placeholders) from the settings' warehouse."""
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.duckdb_path), read_only=True)
        try:
            return con.execute(sql.replace("%s", "?"), list(params)).fetchall()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(options=f"-csearch_path={settings.pg_schema}") as conn:
        return conn.execute(sql, params).fetchall()


def execute(settings: Settings, sql: str) -> None:
    """Run one writing statement on the settings' warehouse (tests that damage a table)."""
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.duckdb_path))
        try:
            con.execute(sql)
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(options=f"-csearch_path={settings.pg_schema}") as conn:
        conn.execute(sql)
