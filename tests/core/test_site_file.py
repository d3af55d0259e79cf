"""webstats.core.site_file: what the site reads on DuckDB is a published copy of exactly the
tables it queries, swapped in whole."""

from __future__ import annotations

import ast
import re

import duckdb

from webstats.core.settings import PROJECT_DIR
from webstats.core.site_file import SITE_TABLES, publish, site_path
from webstats.ingest.rawstore import RAW_TABLES

RELATION = re.compile(r"\b(?:from|join)\s+([a-z_]+)\b", re.IGNORECASE)


def _relations() -> set[str]:
    """Names of the dbt project's models and seeds, and the raw tables."""
    names = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    return names | {p.stem for p in (PROJECT_DIR / "seeds").glob("*.csv")} | set(RAW_TABLES)


def test_the_published_tables_are_those_the_renderer_queries():
    known = _relations()
    read = set()
    for path in (PROJECT_DIR / "renderer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                read |= {m for m in RELATION.findall(node.value) if m in known}
    assert read == set(SITE_TABLES)
    assert "downloads" not in SITE_TABLES and "raw_requests" not in SITE_TABLES


def _warehouse(path, n: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for table in SITE_TABLES:
        con.execute(f"create or replace table {table} as select {n} as n")
    con.execute("create or replace table raw_requests as select 'not served' as client_ip")
    return con


def test_publish_swaps_a_whole_new_file_in(tmp_path):
    wh = tmp_path / "w.duckdb"
    site = site_path(wh)
    assert site == tmp_path / "w.site.duckdb"
    con = _warehouse(wh, 1)
    done = publish(con)
    assert done["site_file"] == str(site) and done["bytes"] == site.stat().st_size > 0

    reader = duckdb.connect(str(site), read_only=True)  # the server, holding the file
    inode = site.stat().st_ino
    site.with_name(site.name + ".tmp").write_text("a killed publication's leftover")
    con.close()
    con = _warehouse(wh, 2)
    publish(con)
    con.close()
    assert reader.execute("select n from stats").fetchall() == [(1,)]  # its build, whole
    reader.close()
    assert site.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.site.duckdb"]
    with duckdb.connect(str(site), read_only=True) as fresh:
        tables = {r[0] for r in fresh.execute("select table_name from duckdb_tables()").fetchall()}
        assert tables == set(SITE_TABLES)
        assert fresh.execute("select n from webstats_info").fetchall() == [(2,)]
