"""webstats.core.site_file: what the site reads on DuckDB is a published copy of exactly the
tables it queries, swapped in whole."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import duckdb
import pytest

from webstats.core.settings import PROJECT_DIR
from webstats.core.site_file import INCREMENTAL, SITE_TABLES, publish, site_path, spare_path
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
    # the replaced file is kept as the spare the next publication brings up to date
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["w.duckdb", "w.site.duckdb", "w.site.duckdb.spare"]
    with duckdb.connect(str(site), read_only=True) as fresh:
        tables = {r[0] for r in fresh.execute("select table_name from duckdb_tables()").fetchall()}
        assert tables == set(SITE_TABLES)
        assert fresh.execute("select n from webstats_info").fetchall() == [(2,)]


# ------------------------------------------------------------- the spare, caught up
# A warehouse shaped like the marts: each incremental table keyed by (time, k), every night
# writing rows of its day and rewriting one row of the day before, with its file id (as the
# models do); stats also holds imported legacy rows (negative file ids).


def _day(f: int) -> str:
    return f"timestamp '2025-01-01' + interval ({f}) day"


def _marts(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for table in SITE_TABLES:
        if table not in INCREMENTAL:
            con.execute(f"create table {table} as select 0 as n")
    con.execute("create or replace table webstats_info as select 0 as checked_thru_file_id")
    for table, (col, _) in INCREMENTAL.items():
        con.execute(
            f"create table {table} ({col} timestamp, k int, download_count int, "
            "ip_count int, source_file_id bigint, ips_batch_file_id bigint)"
        )
    # the version of the likely-automation rules its rows were counted with (VERSIONED)
    con.execute(
        "alter table daily_downloads add column automation_rules_version varchar "
        "default 'rules 1'"
    )
    con.execute("insert into stats values (timestamp '2009-01-01', 0, 7, 3, -1, 0)")
    return con


def _night(con: duckdb.DuckDBPyConnection, f: int) -> None:
    for table, (col, _) in INCREMENTAL.items():
        con.execute(
            f"update {table} set download_count = download_count + 1, source_file_id = {f} "
            f"where {col} = {_day(f - 1)} and k = 0"
        )
        con.execute(
            f"insert into {table} ({col}, k, download_count, ip_count, source_file_id, "
            f"ips_batch_file_id) select {_day(f)}, k, k, 1, {f}, {f} from range(3) t(k)"
        )
    con.execute(f"update webstats_info set checked_thru_file_id = {f}")


def _same(con: duckdb.DuckDBPyConnection, site) -> None:
    con.execute(f"attach '{site}' as seen (read_only)")
    try:
        for table in SITE_TABLES:
            ours = sorted(con.execute(f"select * from {table}").fetchall())
            assert sorted(con.execute(f"select * from seen.{table}").fetchall()) == ours, table
    finally:
        con.execute("detach seen")


def test_a_night_brings_the_spare_up_to_date_with_the_rows_it_missed(tmp_path):
    wh = tmp_path / "w.duckdb"
    site, con = site_path(wh), _marts(wh)
    seen = []
    for f in range(1, 6):
        _night(con, f)
        if f == 4:  # a legacy import comes in: the imported rows follow, whatever their days
            con.execute("insert into stats values (timestamp '2008-01-01', 1, 5, 2, -2, 0)")
        if f == 5:  # --full-refresh of one model: a new table, which is copied whole
            con.execute("create or replace table minute_downloads as from minute_downloads")
        done = publish(con)
        seen.append((done["incremental"], done["tables"]["hourly_downloads"]))
        _same(con, site)
    # nights 1-2: no spare yet; from night 3 on the file of two nights before catches up
    assert [s[0] for s in seen] == [False, False, True, True, True]
    assert seen[2][1] == "rows" and done["tables"]["minute_downloads"] == "whole"
    assert done["tables"]["categories"] == "whole"  # the small tables are copied
    con.close()


def test_a_new_rules_version_reaches_both_files(tmp_path):
    """A new version of the likely-automation rules recounts every day of daily_downloads
    without a new log file (no file id past the mark): both site files take it, whole."""
    wh = tmp_path / "w-1.duckdb"  # a database name to quote
    site, con = site_path(wh), _marts(wh)
    for f in range(1, 4):
        _night(con, f)
        publish(con)
    con.execute(
        "update daily_downloads set automation_rules_version = 'rules 2', "
        "download_count = download_count + 10"
    )
    for _ in range(2):  # the spare, then the file served before the change
        done = publish(con)
        assert done["tables"]["daily_downloads"] == "whole"
        assert done["tables"]["hourly_downloads"] in ("rows", "none")
        _same(con, site)
    done = publish(con)  # the versions agree again: caught up row-wise
    assert done["tables"]["daily_downloads"] in ("rows", "none")
    _same(con, site)
    con.close()


def test_a_spare_still_open_elsewhere_is_left_alone(tmp_path):
    wh = tmp_path / "w.duckdb"
    site, con = site_path(wh), _marts(wh)
    for f in (1, 2):
        _night(con, f)
        publish(con)
    # the server still reads the file of night 1 (now the spare), in another process
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select max(checked_thru_file_id) from webstats_info')"
            ".fetchone()[0], flush=True); sys.stdin.read(); "
            "print(c.execute('select count(*) from hourly_downloads').fetchone()[0])",
            str(spare_path(site)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "1"
    _night(con, 3)
    done = publish(con)
    out, _ = reader.communicate("")
    assert not done["incremental"] and out.strip() == "3"  # its file untouched: night 1
    _same(con, site)
    con.close()


def _rows(path, table: str = "hourly_downloads") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as c:
        return sorted(c.execute(f"select * from {table}").fetchall())


def test_a_failed_publication_changes_neither_file(tmp_path, monkeypatch):
    import webstats.core.site_file as site_file

    wh = tmp_path / "w.duckdb"
    site, con = site_path(wh), _marts(wh)
    for f in (1, 2):
        _night(con, f)
        publish(con)
    served, spare = _rows(site), _rows(spare_path(site))
    inodes = (site.stat().st_ino, spare_path(site).stat().st_ino)
    fill = site_file._fill

    def fails_midway(cur, *args):
        fill(cur, *args)  # every row written, then the disk fills up
        raise duckdb.IOException("disk full, say")

    monkeypatch.setattr(site_file, "_fill", fails_midway)
    _night(con, 3)
    with pytest.raises(duckdb.IOException):
        publish(con)
    assert (site.stat().st_ino, spare_path(site).stat().st_ino) == inodes
    assert _rows(site) == served and _rows(spare_path(site)) == spare
    monkeypatch.undo()

    def catch_up_fails(cur, table, since):
        cur.execute(f"delete from webstats_site.{table}")
        raise duckdb.IOException("a damaged spare, say")

    monkeypatch.setattr(site_file, "_catch_up", catch_up_fails)
    done = publish(con)  # the spare is given up, a new file is published whole
    assert not done["incremental"]
    _same(con, site)
    monkeypatch.undo()
    _night(con, 4)
    assert publish(con)["incremental"]  # and the next night catches up again
    _same(con, site)
    con.close()
