"""Change the warehouse off to the side, then swap the result in at once.

The web site reads the marts while the nightly job rebuilds them. A build that fails (or is
killed) half way must leave the previous tables serving, and readers must never see some
marts updated and others not. Each target gets the swap it can do atomically:

DuckDB
    DuckDB lets one process write a file, and the renderer holds it open read-only. So we
    copy the file to a sibling (`<file>.next`), load and build into the copy, and
    `os.replace` it over the original: a rename is atomic, readers see the old file or the
    new one, and the renderer reopens when the inode changes (renderer/db.py). A killed run
    leaves only the sibling behind, which the next run deletes before copying afresh.

PostgreSQL
    The marts are rebuilt in a staging schema `<schema>__next` that starts as a copy of the
    live marts, with views standing in for the raw tables (which stay where they are: raw
    rows are not served, and copying them nightly would cost far more than the marts). dbt
    builds there; then one transaction renames the live schema to `<schema>__old`, the
    staging schema to `<schema>`, and moves the raw tables across (`ALTER TABLE ... SET
    SCHEMA` is a catalogue change, no data moves). Postgres DDL is transactional, so readers
    see either the old schema or the new one; a failed build only leaves `<schema>__next`,
    dropped by the next run. The price is copying the marts (`downloads` included) each
    night, which is linear in the number of downloads; see docs/daily-job.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from webstats.core.settings import Settings
from webstats.core.warehouse import (
    Connection,
    connect,
    connect_server,
    location,
    quote_ident,
    writer_lock,
)
from webstats.ingest.rawstore import RAW_TABLES, create_raw_tables

from .dbt import build
from .report import step

#: suffix a staging view over a raw table gets after the swap (views bind to it by OID)
STAGED_VIEW_SUFFIX = "__staged"


@dataclass(frozen=True)
class Stage:
    """Where one run writes: raw tables into `raw`, dbt's models into `build`."""

    raw: Settings
    build: Settings


# ---------------------------------------------------------------- DuckDB: copy and rename


def next_path(path: Path) -> Path:
    """The sibling a run builds into; same directory, so `os.replace` is a rename."""
    return path.with_name(path.name + ".next")


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def discard(path: Path) -> None:
    """Remove a database file and its write-ahead log (a stale copy of a killed run)."""
    for p in (path, wal_path(path)):
        p.unlink(missing_ok=True)


def _checkpoint(settings: Settings) -> None:
    """Fold the copy's WAL into the file, so that the file we swap in is complete alone."""
    with connect(settings) as con:
        con.execute("checkpoint")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def duckdb_stage(settings: Settings) -> Iterator[Stage]:
    live = settings.duckdb_path
    work = next_path(live)
    discard(work)
    if live.exists():
        shutil.copyfile(live, work)
        if wal_path(live).exists():  # a writer crashed: its WAL is part of the database
            shutil.copyfile(wal_path(live), wal_path(work))
    staged = dataclasses.replace(settings, duckdb_path=work)
    try:
        yield Stage(raw=staged, build=staged)
    except BaseException:
        discard(work)
        raise
    _checkpoint(staged)
    _fsync(work)
    wal_path(live).unlink(missing_ok=True)  # already folded into the copy
    os.replace(work, live)
    _fsync(live.parent)


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


def prepare_postgres_stage(conn: Connection, schema: str) -> str:
    """Create `<schema>__next`: copies of the live marts, views over the live raw tables."""
    nxt, old = staging_schemas(schema)
    _ensure_live(conn, schema)
    conn.execute(f"drop schema if exists {quote_ident(nxt)} cascade")  # a killed run's leftovers
    conn.execute(f"drop schema if exists {quote_ident(old)} cascade")
    conn.execute(f"create schema {quote_ident(nxt)}")
    live, stage = quote_ident(schema), quote_ident(nxt)
    for table in _base_tables(conn, schema):
        if table in RAW_TABLES or table.endswith(("__dbt_tmp", "__dbt_backup")):
            continue
        t = quote_ident(table)
        conn.execute(f"create table {stage}.{t} (like {live}.{t} including all)")
        conn.execute(f"insert into {stage}.{t} select * from {live}.{t}")
    for table in RAW_TABLES:
        t = quote_ident(table)
        conn.execute(f"create view {stage}.{t} as select * from {live}.{t}")
    return nxt


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
                conn.execute(f"drop schema if exists {quote_ident(nxt)} cascade")
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
    if settings.target == "duckdb":
        with duckdb_stage(settings) as stage:
            yield stage
    elif settings.target == "postgres":
        with postgres_stage(settings) as stage:
            yield stage
    else:  # Athena: dbt replaces each table atomically; there is nothing to stage
        yield Stage(raw=settings, build=settings)


# ------------------------------------------------------------ the all-or-nothing writers


def run_staged(
    settings: Settings,
    work: Callable[[Stage], list[str]],
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
    build_after: bool | Callable[[], bool] = True,
) -> list[str]:
    """Under the writer lock: stage, `work` (returns problems), build, swap. Returns problems.

    Shared by refresh, import-legacy and prune so that they all change the warehouse the
    same all-or-nothing way: any exception before the swap discards the stage.
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
                with step("build", {"full_refresh": full_refresh}):
                    build(stage.build, full_refresh=full_refresh, dbt_vars=dbt_vars or None)
        except BaseException:
            stage_cm.__exit__(*sys.exc_info())
            raise
        with step("swap", {"where": location(settings)}):
            stage_cm.__exit__(None, None, None)
        return problems
    finally:
        lock.__exit__(None, None, None)


def change_raw_tables(settings: Settings, change: Callable[[Connection], None]) -> None:
    """Apply `change` to the raw tables all at once, under the writer lock, while the site
    reads: on DuckDB in a staged copy that is swapped in (the site holds the file open), on
    PostgreSQL in one transaction (the raw tables are not staged there)."""
    if settings.target == "duckdb":

        def work(stage: Stage) -> list[str]:
            with connect(stage.raw) as con:
                with con.transaction():
                    change(con)
                con.execute("checkpoint")
            return []

        run_staged(settings, work, build_after=False)
    elif settings.target == "postgres":
        with writer_lock(settings), connect(settings) as con, con.transaction():
            change(con)
    else:
        raise ValueError(
            f"the {settings.target} target keeps no raw tables here (its logs stay in S3: "
            "expire them there)"
        )
