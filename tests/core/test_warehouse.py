"""webstats.core.warehouse: one interface to both engines (placeholders, transactions, bulk
copy, the writer lock), on a real DuckDB file and a real PostgreSQL schema."""

from __future__ import annotations

import dataclasses

import pytest

from webstats.core import warehouse as wh


def test_placeholders_become_psycopgs_outside_quoted_text():
    sql = "select '?', \"a?\", x from t where y like '%a' and z = ? and w % 2 = ?"
    assert wh._pg_placeholders(sql) == (
        "select '?', \"a?\", x from t where y like '%%a' and z = %s and w %% 2 = %s"
    )


def test_statements_transactions_and_bulk_copy(warehouse, tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("1,one\n2,\n")
    with wh.connect(warehouse.settings) as con:
        con.execute("create table t (n integer, word varchar)")
        con.copy_csv("t", csv)
        con.executemany("insert into t values (?, ?)", [(3, "three"), (4, "it's")])
        with pytest.raises(RuntimeError), con.transaction():
            con.execute("insert into t values (?, ?)", [5, "five"])
            raise RuntimeError("rolled back")
        with con.transaction():
            con.execute("insert into t (n) values (?)", [6])
    assert warehouse.query("select n, word from t order by n") == [
        (1, "one"), (2, None), (3, "three"), (4, "it's"), (6, None)
    ]  # fmt: skip


def test_read_only_connections_cannot_write(warehouse):
    warehouse.execute("create table t (n integer)")
    with wh.connect(warehouse.settings, read_only=True) as con, pytest.raises(Exception):  # noqa: B017
        con.execute("insert into t values (1)")


def test_one_writer_at_a_time(warehouse):
    with (
        wh.writer_lock(warehouse.settings),
        pytest.raises(wh.WarehouseBusy),
        wh.writer_lock(warehouse.settings),
    ):
        pass
    with wh.writer_lock(warehouse.settings):  # released with its holder
        pass


def test_facts_about_a_warehouse(warehouse):
    s = warehouse.settings
    assert wh.loads_logs(s)
    assert wh.state_key(s).startswith(f"{s.target}-")
    if s.target == "duckdb":
        assert wh.location(s) == str(s.duckdb_path)
        assert not wh.exists(s)
        warehouse.execute("create table t (n integer)")
        assert wh.exists(s) and not wh.serves(s)  # nothing published for the site yet
        assert wh.served_path(s) == s.duckdb_path.with_name("warehouse.site.duckdb")
        with pytest.raises(FileNotFoundError):
            wh.file_identity(s)
    else:
        assert wh.location(s) == f"schema {s.pg_schema}"
        assert wh.exists(s) and wh.serves(s) and wh.file_identity(s) is None
        assert wh.served_path(s) is None


def test_athena_has_no_connection(warehouse):
    athena = dataclasses.replace(warehouse.settings, target="athena")
    with pytest.raises(wh.NoConnection, match="through dbt"):
        wh.connect(athena)
    assert not wh.loads_logs(athena)
