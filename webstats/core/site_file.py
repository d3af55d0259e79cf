"""On DuckDB the site reads a file of its own: the served marts of the last complete build.

DuckDB lets one process write a database file, and only while no other process has it open
(even read-only). A web server holding the warehouse would therefore stop every `dbt build`,
`webstats build` and `webstats load` for as long as it runs. So the server never opens the
warehouse: each build ends by publishing the tables the site reads (`SITE_TABLES`, the marts
and the seeds, never the raw requests or the `downloads` history) into a file beside the
warehouse and renaming it over `<warehouse>.site.duckdb` (`site_path`). A rename is atomic:
the server sees the previous build or the new one, never a mix, and reopens when the file's
identity changes; the writers keep the warehouse to themselves.

Two files take turns, so that a night writes one night's rows, not the whole history of the
served marts (docs/warehouse.md, docs/scaling.md). The file a publication replaces keeps a
second name, `<site>.spare`; the next publication brings that file up to date and renames it
back over the served one. Up to date means: the large time-series marts (`INCREMENTAL`) get
the rows of the periods the builds since the spare's publication touched (every row a build
rewrites carries a log file id past the mark of the publication before, and the rewritten
periods start at the oldest such row's time), the small tables are copied whole. All of it
in one transaction of the spare file, so a killed publication leaves it as it was.

Which rows a file holds is written in it: each incremental table's comment names the
publication (`site:<id>@<mark>`), and the warehouse table's comment lists the last
publications made from it. The spare is used only when its publication is in that list and
nobody has it open (DuckDB's lock: a server still reading it). Otherwise, and for a table
rebuilt whole since (a `--full-refresh` makes a table without a comment), the publication
copies the table whole: a new file when there is no usable spare, as before this scheme.

The publication is the last model of the dbt project (`models/audit/site_publication.py`,
after `webstats_info`, so only a build whose checks all passed publishes), which makes plain
`dbt build` publish too.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

#: every table the renderer and the API read (tests/core/test_site_file.py checks the SQL)
SITE_TABLES = (
    "categories",
    "packages",
    "stats",
    "categorystats",
    "package_scores",
    "hourly_downloads",
    "minute_downloads",
    "log_coverage",
    "daily_package_downloads",
    "daily_downloads",
    "countries",
    "webstats_info",
    "source_freshness",  # the nightly job's verdict on the raw logs (a raw-layer table)
)
_SINCE = "source_file_id > {mark}"
_SINCE_OR_IPS = "(source_file_id > {mark} or ips_batch_file_id > {mark})"
#: the served tables that grow with the history, brought up to date by the periods a build
#: rewrote: table -> (its time column, the rows a build after the mark wrote). The models
#: (models/marts/*.sql) rewrite every touched row with a file id past the previous mark, and
#: never delete a row they do not write again; imported legacy rows (negative file ids,
#: removed when their year gets computed data) are compared by their own signature.
INCREMENTAL = {
    "hourly_downloads": ("hour_at", _SINCE),
    "minute_downloads": ("minute_at", _SINCE),
    "daily_package_downloads": ("download_date", _SINCE),
    "daily_downloads": ("download_date", _SINCE),
    "stats": ("date", _SINCE_OR_IPS),
    "categorystats": ("date", _SINCE_OR_IPS),
}
#: served tables a build may rewrite whole without a new log file: a new version of the
#: likely-automation rules recounts every day of daily_downloads (the rows keep their days'
#: file ids). Their rows carry the version; a copy holding another version is copied whole.
VERSIONED = {"daily_downloads": "automation_rules_version"}
LEGACY_ROWS = "source_file_id < 0"
SITE_ALIAS = "webstats_site"
KEEP_PUBLICATIONS = 4  # publications a warehouse table's comment remembers
_TAG = re.compile(r"site:([0-9a-f]{32})@(-?\d+)")


def site_path(duckdb_path: Path) -> Path:
    """`webstats.duckdb` -> `webstats.site.duckdb` (same directory, so a rename is atomic)."""
    path = Path(duckdb_path)
    return path.with_name(f"{path.stem}.site{path.suffix}")


def spare_path(site: Path) -> Path:
    """The previous publication's file, kept to be brought up to date by the next one."""
    return site.with_name(site.name + ".spare")


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def database_path(con: Any) -> Path:
    """The file of the connection's current database (a dbt session's warehouse)."""
    (path,) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(path).resolve()


def _current_database(con: Any) -> str:
    return con.execute("select current_database()").fetchone()[0]


def _comments(con: Any, database: str) -> dict[str, str]:
    rows = con.execute(
        "select table_name, coalesce(comment, '') from duckdb_tables() "
        "where database_name = ? and schema_name = 'main'",
        [database],
    ).fetchall()
    return dict(rows)


def _mark(con: Any) -> int | None:
    """The newest log file id the build covers (None: no build stamp, publish whole)."""
    (stamped,) = con.execute(  # asked first: an error would abort dbt's transaction
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and table_name = 'webstats_info' and column_name = 'checked_thru_file_id'"
    ).fetchone()
    if not stamped:  # a warehouse written without dbt (bench/marts.py)
        return None
    (mark,) = con.execute("select max(checked_thru_file_id) from webstats_info").fetchone()
    return None if mark is None else int(mark)


def _legacy_signature(con: Any, table: str) -> tuple:
    return con.execute(
        f"select count(*), sum(source_file_id), sum(download_count), sum(ip_count) "
        f"from {table} where {LEGACY_ROWS}"
    ).fetchone()


def _catch_up(con: Any, table: str, since: int) -> str:
    """Bring the attached copy of `table` from the publication at file id `since` to now."""
    column, changed = INCREMENTAL[table]
    site = f"{SITE_ALIAS}.{table}"
    (start,) = con.execute(
        f"select min({column}) from {table} where {changed.format(mark=int(since))}"
    ).fetchone()
    if start is not None:  # the periods rewritten since, from their first row on
        con.execute(f"delete from {site} where {column} >= ?", [start])
        con.execute(f"insert into {site} select * from {table} where {column} >= ?", [start])
    if table in ("stats", "categorystats") and _legacy_signature(con, site) != _legacy_signature(
        con, table
    ):
        con.execute(f"delete from {site} where {LEGACY_ROWS}")
        con.execute(f"insert into {site} select * from {table} where {LEGACY_ROWS}")
    return "rows" if start is not None else "none"


def _version(con: Any, table: str, database: str) -> Any:
    """The version one row of `table` carries (all carry the same; None: no rows)."""
    column = VERSIONED[table]
    qualified = '"' + database.replace('"', '""') + '".' + table  # e.g. `duckdb-10M`
    sql = f"select max({column}) from (select {column} from {qualified} limit 1)"
    return con.execute(sql).fetchone()[0]


def _same_version(con: Any, table: str, ours: str) -> bool:
    """Whether the attached copy's rows carry the warehouse's (`ours`) version (always,
    unversioned)."""
    if table not in VERSIONED:
        return True
    return _version(con, table, SITE_ALIAS) == _version(con, table, ours)


def _published_in(comment: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in _TAG.finditer(comment)]


def _fill(con: Any, tables: tuple[str, ...], mark: int | None, incremental: bool) -> dict:
    """Write `tables` into the attached file, row-wise where its publication allows."""
    database = _current_database(con)
    ours = _comments(con, database)
    theirs = _comments(con, SITE_ALIAS) if incremental else {}
    done = {}
    for table in tables:
        held = _published_in(theirs.get(table, ""))
        if (
            mark is not None
            and table in INCREMENTAL
            and held
            and held[0] in _published_in(ours.get(table, ""))
            and _same_version(con, table, database)
        ):
            done[table] = _catch_up(con, table, held[0][1])
            continue
        con.execute(f"create or replace table {SITE_ALIAS}.{table} as select * from {table}")
        done[table] = "whole"
    return done


def _stamp(con: Any, tables: tuple[str, ...], mark: int, tag: str) -> None:
    """Name the publication in the new file (inside its transaction)."""
    for table in tables:
        if table in INCREMENTAL:
            con.execute(f"comment on table {SITE_ALIAS}.{table} is {_quote(tag)}")


def _remember(con: Any, tables: tuple[str, ...], tag: str) -> None:
    """Add the publication to the warehouse tables' comments (after the file is written:
    a publication the warehouse does not list is never caught up from)."""
    ours = _comments(con, _current_database(con))
    for table in tables:
        if table in INCREMENTAL:
            kept = [f"site:{i}@{m}" for i, m in _published_in(ours.get(table, ""))]
            text = " ".join([*kept[-(KEEP_PUBLICATIONS - 1) :], tag])
            con.execute(f"comment on table {table} is {_quote(text)}")


def _write(con: Any, path: Path, tables: tuple[str, ...], mark: int | None, reuse: bool) -> dict:
    """Publish into the file at `path` (the spare when `reuse`) in one transaction."""
    tag = f"site:{uuid.uuid4().hex}@{mark if mark is not None else -1}"
    con.execute(f"attach {_quote(str(path))} as {SITE_ALIAS}")  # fails if a reader holds it
    try:
        cur = con.cursor()  # a transaction of its own, whatever dbt's session is in
        cur.execute("begin transaction")
        try:
            done = _fill(cur, tables, mark, reuse)
            if mark is not None:
                _stamp(cur, tables, mark, tag)
            cur.execute("commit")
        except BaseException:
            cur.execute("rollback")
            raise
        finally:
            cur.close()
        con.execute(f"checkpoint {SITE_ALIAS}")
    finally:
        con.execute(f"detach {SITE_ALIAS}")  # checkpoints and closes the file
    if mark is not None:
        _remember(con, tables, tag)
    _fsync(path)
    return done


def _swap_in(fresh: Path, final: Path) -> None:
    """Rename `fresh` over the served file; the file it replaces becomes the spare."""
    spare, previous = spare_path(final), final.with_name(final.name + ".prev")
    previous.unlink(missing_ok=True)
    had = final.exists()
    if had:
        os.link(final, previous)
    os.replace(fresh, final)
    if had:
        os.replace(previous, spare)
    _fsync(final.parent, directory=True)


def publish(con: Any, tables: tuple[str, ...] = SITE_TABLES) -> dict[str, Any]:
    """Publish `tables` of the connection's warehouse for the site and swap them in.

    `con` is a DuckDB connection to the warehouse (dbt's session, or one the caller opened).
    Returns what was published: the file, its size in bytes, the seconds it took, whether
    the spare was brought up to date (`incremental`) and how each table was written.
    """
    started = time.monotonic()
    final = site_path(database_path(con))
    spare, work = spare_path(final), final.with_name(final.name + ".tmp")
    for stale in (work, work.with_name(work.name + ".wal"), spare.with_name(spare.name + ".wal")):
        stale.unlink(missing_ok=True)  # a killed publication's
    con.execute("set enable_progress_bar = false")  # no bar in dbt's output or a log
    mark = _mark(con)
    done = None
    if spare.exists() and mark is not None:
        try:
            done, fresh = _write(con, spare, tables, mark, reuse=True), spare
        except Exception:  # still open (the server), or damaged: publish a new file
            done = None
    if done is None:
        done, fresh = _write(con, work, tables, mark, reuse=False), work
    _swap_in(fresh, final)
    return {
        "site_file": str(final),
        "bytes": final.stat().st_size,
        "seconds": round(time.monotonic() - started, 3),
        "incremental": fresh == spare,
        "tables": done,
    }
