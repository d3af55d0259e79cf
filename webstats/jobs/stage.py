"""Change the warehouse so that the site never sees half of it.

The web site reads the marts while the nightly job rebuilds them. A build that fails (or is
killed) half way must leave the previous tables serving, and readers must never see some
marts updated and others not. Each target gets the way it can do this atomically:

DuckDB
    The site never reads the warehouse file: it reads the copy of the served tables that
    each complete build publishes and renames into place (webstats/core/site_file.py; the
    last model of the dbt project does it). So loads and builds write the warehouse in
    place, at the cost of the new day only; a failed or killed run leaves the published
    file of the previous build serving, and the next run carries on from the watermarks
    of the incremental models (each table knows which log files it has taken in).

PostgreSQL
    The marts are rebuilt in a staging schema `<schema>__next`, swapped in whole at the end.
    Only the tables the site reads (`SITE_TABLES` of webstats/core/site_file.py: the served
    marts and seeds) are copied into it; the tables it never reads (the permanent record
    `downloads`, the parsed requests, the distinct-IP triples, the per-file hours: most of
    the warehouse, and what grows with the years) are moved into it with `ALTER TABLE ...
    SET SCHEMA` (a catalogue change, no data moves) and written in place by the build, as
    on DuckDB: the incremental models keep their own watermarks, so rows a failed run
    appended there are taken up by the next run's marts. The raw tables stay where they are
    (views stand in for them). Then one transaction renames the live schema to
    `<schema>__old`, the staging schema to `<schema>`, and moves the raw tables across.
    Postgres DDL is transactional, so readers see either the old schema or the new one. A
    failed build moves the unserved tables back and drops `<schema>__next`; a killed one
    leaves them there, and the next run moves them back first. What is still copied each
    night is the served marts (`hourly_downloads`, `minute_downloads`,
    `daily_package_downloads` grow with the years); see docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from webstats.core.settings import Settings
from webstats.core.site_file import SITE_TABLES
from webstats.core.warehouse import (
    Connection,
    connect,
    connect_server,
    loads_logs,
    location,
    quote_ident,
    served_path,
    writer_lock,
)
from webstats.ingest.rawstore import RAW_TABLES, create_raw_tables

from .dbt import build, summary_line
from .report import step

#: suffix a staging view over a raw table gets after the swap (views bind to it by OID)
STAGED_VIEW_SUFFIX = "__staged"


@dataclass(frozen=True)
class Stage:
    """Where one run writes: raw tables into `raw`, dbt's models into `build`."""

    raw: Settings
    build: Settings


# ---------------------------------------------------- PostgreSQL: staging schema and swap


def staging_schemas(schema: str) -> tuple[str, str]:
    """(staging, retired) schema names for the live `schema`."""
    return f"{schema}__next", f"{schema}__old"


def _base_tables(conn: Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def _ensure_live(conn: Connection, schema: str) -> None:
    """The live schema and its raw tables exist (empty on a first run)."""
    conn.execute(f"create schema if not exists {quote_ident(schema)}")
    conn.execute(f"set search_path to {quote_ident(schema)}")
    create_raw_tables(conn)
    conn.execute("reset search_path")


def _moved(table: str) -> bool:
    """Whether the nightly stage moves `table` (written in place) instead of copying it:
    every table the site never reads, except the raw ones (which stay in the live schema)."""
    return table not in SITE_TABLES and table not in RAW_TABLES


def restore_moved_tables(conn: Connection, schema: str) -> list[str]:
    """Move back into the live schema the tables a failed or killed run left in the
    staging schema (only those the live schema lacks: its own copies are discarded)."""
    nxt, _ = staging_schemas(schema)
    live = set(_base_tables(conn, schema))
    back = [t for t in _base_tables(conn, nxt) if _moved(t) and t not in live]
    for table in back:
        conn.execute(
            f"alter table {quote_ident(nxt)}.{quote_ident(table)} set schema {quote_ident(schema)}"
        )
    return back


def prepare_postgres_stage(conn: Connection, schema: str) -> str:
    """Create `<schema>__next`: copies of the served marts, the unserved tables moved in,
    views over the live raw tables."""
    nxt, old = staging_schemas(schema)
    _ensure_live(conn, schema)
    with conn.transaction():  # a killed run's leftovers: its moved tables back first
        restore_moved_tables(conn, schema)
        conn.execute(f"drop schema if exists {quote_ident(nxt)} cascade")
    conn.execute(f"drop schema if exists {quote_ident(old)} cascade")
    conn.execute(f"create schema {quote_ident(nxt)}")
    live, stage = quote_ident(schema), quote_ident(nxt)
    for table in _base_tables(conn, schema):
        if table in RAW_TABLES or table.endswith(("__dbt_tmp", "__dbt_backup")):
            continue
        t = quote_ident(table)
        if _moved(table):
            conn.execute(f"alter table {live}.{t} set schema {stage}")
            continue
        conn.execute(f"create table {stage}.{t} (like {live}.{t} including all)")
        conn.execute(f"insert into {stage}.{t} select * from {live}.{t}")
    for table in RAW_TABLES:
        t = quote_ident(table)
        conn.execute(f"create view {stage}.{t} as select * from {live}.{t}")
    return nxt


def discard_postgres_stage(conn: Connection, schema: str) -> None:
    """After a failed build: the moved tables back into the live schema, the stage dropped."""
    nxt, _ = staging_schemas(schema)
    with conn.transaction():
        restore_moved_tables(conn, schema)
        conn.execute(f"drop schema if exists {quote_ident(nxt)} cascade")


def _reader_roles(conn: Connection, schema: str) -> list[str]:
    """Roles (other than the owner) allowed to use the live schema: the web app's role."""
    rows = conn.execute(
        "select distinct a.grantee::regrole::text from pg_namespace n, "
        "aclexplode(n.nspacl) a where n.nspname = ? and a.privilege_type = 'USAGE' "
        "and a.grantee <> n.nspowner and a.grantee <> 0",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def swap_postgres_stage(conn: Connection, schema: str) -> None:
    """In one transaction: staging schema becomes live, the raw tables move into it."""
    nxt, old = staging_schemas(schema)
    live_i, nxt_i, old_i = quote_ident(schema), quote_ident(nxt), quote_ident(old)
    with conn.transaction():
        for role in _reader_roles(conn, schema):
            conn.execute(f"grant usage on schema {nxt_i} to {role}")
            conn.execute(f"grant select on all tables in schema {nxt_i} to {role}")
        conn.execute(f"alter schema {live_i} rename to {old_i}")
        conn.execute(f"alter schema {nxt_i} rename to {live_i}")
        for table in RAW_TABLES:
            t = quote_ident(table)
            staged_view = quote_ident(table + STAGED_VIEW_SUFFIX)
            conn.execute(f"alter view {live_i}.{t} rename to {staged_view}")
            conn.execute(f"alter table {old_i}.{t} set schema {live_i}")
    # nothing in the live schema refers to the retired one any more (raw tables moved)
    conn.execute(f"drop schema {old_i} cascade")


@contextlib.contextmanager
def postgres_stage(settings: Settings) -> Iterator[Stage]:
    conn = connect_server(settings)
    try:
        nxt = prepare_postgres_stage(conn, settings.pg_schema)
        try:
            yield Stage(raw=settings, build=dataclasses.replace(settings, pg_schema=nxt))
        except BaseException:
            with contextlib.suppress(Exception):
                discard_postgres_stage(conn, settings.pg_schema)
            raise
        swap_postgres_stage(conn, settings.pg_schema)
    finally:
        conn.close()


@contextlib.contextmanager
def staged(settings: Settings) -> Iterator[Stage]:
    """A Stage to write into; swapped in when the block ends normally, discarded otherwise.

    The caller must hold the writer lock (webstats.core.warehouse): staging paths are fixed
    names.
    """
    if settings.target == "postgres":
        with postgres_stage(settings) as stage:
            yield stage
    else:  # DuckDB: builds publish the site's copy; Athena: dbt replaces each table
        # an existing DuckDB file's raw tables brought up to date (a column added); a new
        # one is left uncreated (dbt's on-run-start creates its tables as they are now)
        if loads_logs(settings) and settings.duckdb_path.exists():
            with connect(settings) as con, con.transaction():
                create_raw_tables(con)
        yield Stage(raw=settings, build=settings)


# ------------------------------------------------------------ the all-or-nothing writers


def run_staged(
    settings: Settings,
    work: Callable[[Stage], list[str]],
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
    build_after: bool | Callable[[], bool] = True,
    live: bool = False,
) -> list[str]:
    """Under the writer lock: stage, `work` (returns problems), build, swap. Returns problems.

    Shared by build, refresh and import-legacy so that they change the warehouse the same
    all-or-nothing way: any exception before the swap discards the stage (on DuckDB, the
    site keeps the previously published build). The build step names the project and the
    manifest it used; on DuckDB the swap step names the published site file.
    """
    with step("lock", {"target": settings.target}):
        lock = writer_lock(settings)
        lock.__enter__()
    try:
        with step("stage", {"where": location(settings)}):
            stage_cm = staged(settings)
            stage = stage_cm.__enter__()
        try:
            problems = work(stage)
            if build_after if isinstance(build_after, bool) else build_after():
                with step("build", {"full_refresh": full_refresh, **settings.describe()}) as rec:
                    output = build(stage.build, full_refresh, dbt_vars or None, quiet=not live)
                    rec["dbt"] = summary_line(output)
        except BaseException:
            stage_cm.__exit__(*sys.exc_info())
            raise
        with step("swap", {"where": location(settings)}) as rec:
            stage_cm.__exit__(None, None, None)
            rec.update(_published(settings))
        return problems
    finally:
        lock.__exit__(None, None, None)


def _published(settings: Settings) -> dict[str, object]:
    """On DuckDB: the site file the build published (the site's side of the swap)."""
    served = served_path(settings)
    if served is None or not served.exists():
        return {}
    return {"site_file": str(served), "site_bytes": served.stat().st_size}


def change_raw_tables(settings: Settings, change: Callable[[Connection], None]) -> None:
    """Apply `change` to the raw tables all at once (one transaction), under the writer
    lock, while the site reads (it never reads the raw tables)."""
    if loads_logs(settings):
        with writer_lock(settings), connect(settings) as con, con.transaction():
            change(con)
    else:
        raise ValueError(
            f"the {settings.target} target keeps no raw tables here (its logs stay in S3: "
            "expire them there)"
        )
