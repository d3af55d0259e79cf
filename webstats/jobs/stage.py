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
    The marts are rebuilt in a staging schema `<schema>__next`, swapped in at the end; the
    nightly cost is the night's rows, not the history's:

    - the tables the site never reads (the permanent record `downloads`, the parsed
      requests, the distinct-IP triples, the per-file hours: most of the warehouse) are
      moved into it with `ALTER TABLE ... SET SCHEMA` (a catalogue change, no data moves)
      and written in place by the build, as on DuckDB: the incremental models keep their
      own watermarks, so rows a failed run appended there are taken up by the next run;
    - the large served marts that grow with the years (`DELTA_MARTS`: hourly, minute and
      daily downloads) get an empty table each: dbt builds them incrementally as usual,
      but reads their stored rows and watermark from the live table
      (macros/incremental/stored_relation.sql), so the staged table receives only the
      rows the night changes (250k for a night of 250k downloads, whatever the years);
    - the small served marts (`stats`, `categorystats`, `package_scores`, coverage, the
      build's info, the seeds) are copied (a few seconds at 15 years; `package_scores` and
      the checks read `stats` whole);
    - the raw tables stay where they are (views stand in for them).

    Then one transaction renames the live schema to `<schema>__old` and the staging schema
    to `<schema>`, moves the raw tables across, and for each delta mart deletes the live
    rows whose keys the delta holds, inserts the delta's and moves the live table across
    (`merge_delta`). Postgres DDL and DML are transactional, so readers see the old build
    or the new one, never a mix; the site answers throughout (its tables are only read
    until that transaction). A failed build moves the unserved tables back and drops
    `<schema>__next` (the deltas with it: the live marts never saw them); a killed one
    leaves them there, and whoever next takes the writer lock moves them back first
    (webstats.core.warehouse.restore_staged_tables). `--full-refresh` (and a first build)
    stages the delta marts whole and swaps them in as the other tables.

    Why deltas and not monthly partitions (docs/scaling.md): the same nightly cost without
    changing the tables' DDL, dbt's materialisations or existing warehouses, and the delta
    is exactly what the incremental models already compute; partitions would still need a
    copy of the touched month in the stage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from webstats.core.settings import Settings
from webstats.core.site_file import SITE_TABLES
from webstats.core.warehouse import (
    Connection,
    base_tables,
    connect,
    connect_server,
    loads_logs,
    location,
    quote_ident,
    restore_staged_tables,
    served_path,
    staging_schemas,
    writer_lock,
)
from webstats.ingest.rawstore import RAW_TABLES, create_raw_tables

from .dbt import DbtSession, build_command, summary_line
from .report import step

#: suffix a staging view over a raw table gets after the swap (views bind to it by OID)
STAGED_VIEW_SUFFIX = "__staged"


#: the served marts that grow with the history, built on PostgreSQL as a delta: (the column
#: that grows with time, the model's unique_key). The nightly stage gives each an empty
#: table in `<schema>__next` (dbt then runs the model incrementally, reading its stored rows
#: and watermark from the live table: macros/incremental/stored_relation.sql) and the swap
#: replaces the live rows of those keys by the delta's, in its transaction. The keys must be
#: the models' `unique_key` (tests/models/test_delta_marts.py checks them against dbt's).
DELTA_MARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hourly_downloads": (
        "hour_at",
        ("hour_at", "category", "package", "bioc_version", "download_type"),
    ),
    "minute_downloads": ("minute_at", ("minute_at",)),
    "daily_package_downloads": ("download_date", ("download_date", "category", "package")),
    # recounted by whole days (a flag can change for earlier downloads): the day is the key
    "daily_downloads": ("download_date", ("download_date",)),
}


@dataclass(frozen=True)
class Stage:
    """Where one run writes: raw tables into `raw`, dbt's models into `build`, with
    `dbt_vars` (the delta marts' live schema on PostgreSQL)."""

    raw: Settings
    build: Settings
    dbt_vars: dict = dataclasses.field(default_factory=dict)
    #: the DELTA_MARTS the stage holds as deltas (the swap merges them into the live ones)
    deltas: tuple[str, ...] = ()
    #: what the swap did, for its step record (rows each delta brought)
    swapped: dict = dataclasses.field(default_factory=dict)
    #: environment of the build's dbt process (on PostgreSQL: its commits do not wait for
    #: the WAL flush, see ASYNC_BUILD_OPTIONS)
    dbt_env: dict = dataclasses.field(default_factory=dict)
    #: the run's dbt process (run_staged): the work's dbt commands and the build share it
    dbt: DbtSession | None = None

    def vars_for(self, dbt_vars: dict | None = None) -> dict | None:
        """The dbt vars of every dbt command of this run: the caller's and the stage's.

        Every dbt command of a night must pass the same vars: dbt keeps its parsed project
        (partial parse) only for the vars it was parsed with, so a freshness check without
        the build's vars made both commands parse the whole project (7-15 s each on
        PostgreSQL, where the stage always has vars)."""
        return {**(dbt_vars or {}), **self.dbt_vars} or None


# ---------------------------------------------------- PostgreSQL: staging schema and swap

#: libpq options of the staged build's dbt sessions on PostgreSQL: commits return without
#: waiting for the WAL to reach the disk (a dbt build commits several hundred times: each
#: create, rename and drop of a model, each data test). Why this keeps every guarantee: the
#: build writes only into the staging schema and the tables moved into it, which the site
#: never reads and a killed build already may leave half written (the next writer moves
#: them back; each incremental model carries its own watermark in its rows). A server crash
#: loses at most the newest of these commits, and PostgreSQL replays its log in order, so
#: what survives is the build up to some point: the same as a build killed at that point.
#: The swap, on webstats' own connection, commits synchronously (it says so itself), and its
#: flush writes out everything the build logged before it: once a night has reported
#: success, its build is on disk. The load, the freshness verdict and the run's record are
#: webstats' own connections too, durable as ever.
ASYNC_BUILD_OPTIONS = "-c synchronous_commit=off"


def _async_build_env() -> dict[str, str]:
    """The build's PGOPTIONS: the environment's own options, then ASYNC_BUILD_OPTIONS."""
    return {"PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {ASYNC_BUILD_OPTIONS}".strip()}


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


def prepare_postgres_stage(
    conn: Connection, schema: str, full_refresh: bool = False
) -> tuple[str, tuple[str, ...]]:
    """Create `<schema>__next`: empty tables for the large served marts' deltas (unless
    `full_refresh`, which rebuilds them whole), copies of the small served marts, the
    unserved tables moved in, views over the live raw tables. Returns (stage, deltas)."""
    nxt, old = staging_schemas(schema)
    _ensure_live(conn, schema)
    with conn.transaction():  # a killed run's stage (its moved tables went back at the lock)
        restore_staged_tables(conn, schema)
        conn.execute(f"drop schema if exists {quote_ident(nxt)} cascade")
    conn.execute(f"drop schema if exists {quote_ident(old)} cascade")
    conn.execute(f"create schema {quote_ident(nxt)}")
    live, stage = quote_ident(schema), quote_ident(nxt)
    deltas = []
    for table in base_tables(conn, schema):
        if table in RAW_TABLES or table.endswith(("__dbt_tmp", "__dbt_backup")):
            continue
        t = quote_ident(table)
        if _moved(table):
            conn.execute(f"alter table {live}.{t} set schema {stage}")
            continue
        conn.execute(f"create table {stage}.{t} (like {live}.{t} including all)")
        if table in DELTA_MARTS and not full_refresh:
            deltas.append(table)
            continue
        conn.execute(f"insert into {stage}.{t} select * from {live}.{t}")
    for table in RAW_TABLES:
        t = quote_ident(table)
        conn.execute(f"create view {stage}.{t} as select * from {live}.{t}")
    return nxt, tuple(deltas)


def discard_postgres_stage(conn: Connection, schema: str) -> None:
    """After a failed build: the moved tables back into the live schema, the stage dropped."""
    nxt, _ = staging_schemas(schema)
    with conn.transaction():
        restore_staged_tables(conn, schema)
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


def _columns(conn: Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [quote_ident(r[0]) for r in rows]


def merge_delta(conn: Connection, delta_schema: str, live_schema: str, table: str) -> int:
    """Replace the rows of `live_schema.table` whose keys the delta holds by the delta's
    rows, then drop the delta. Rows with a key are only ever replaced (counts are
    rewritten whole), so delete + insert equals the full build. The delete looks only at
    rows from the delta's first period on (the index on the time column). Returns the
    rows the delta held."""
    time_col, keys = DELTA_MARTS[table]
    t = quote_ident(table)
    src, dst = f"{quote_ident(delta_schema)}.{t}", f"{quote_ident(live_schema)}.{t}"
    same = " and ".join(f"l.{quote_ident(k)} = d.{quote_ident(k)}" for k in keys)
    tc = quote_ident(time_col)
    conn.execute(
        f"delete from {dst} as l using {src} as d where {same} "
        f"and l.{tc} >= (select min({tc}) from {src})"
    )
    cols = ", ".join(_columns(conn, live_schema, table))
    cur = conn.execute(f"insert into {dst} ({cols}) select {cols} from {src}")
    conn.execute(f"drop table {src}")
    return int(cur.rowcount)


def swap_postgres_stage(conn: Connection, schema: str, deltas: tuple[str, ...] = ()) -> dict:
    """In one transaction: staging schema becomes live, the raw tables move into it, and
    each delta mart's live table takes its delta and moves into it. Returns delta rows."""
    nxt, old = staging_schemas(schema)
    live_i, nxt_i, old_i = quote_ident(schema), quote_ident(nxt), quote_ident(old)
    merged = {}
    with conn.transaction():
        # durable when it returns, whatever PGOPTIONS says (ASYNC_BUILD_OPTIONS)
        conn.execute("set local synchronous_commit to on")
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
        for table in deltas:
            merged[table] = merge_delta(conn, schema, old, table)
            conn.execute(f"alter table {old_i}.{quote_ident(table)} set schema {live_i}")
    # nothing in the live schema refers to the retired one any more (raw tables moved)
    conn.execute(f"drop schema {old_i} cascade")
    return merged


@contextlib.contextmanager
def postgres_stage(settings: Settings, full_refresh: bool = False) -> Iterator[Stage]:
    conn = connect_server(settings)
    try:
        nxt, deltas = prepare_postgres_stage(conn, settings.pg_schema, full_refresh)
        dbt_vars = (
            {"webstats_delta": {"stored_schema": settings.pg_schema, "models": list(deltas)}}
            if deltas
            else {}
        )
        stage = Stage(
            raw=settings,
            build=dataclasses.replace(settings, pg_schema=nxt),
            dbt_vars=dbt_vars,
            deltas=deltas,
            dbt_env=_async_build_env(),
        )
        try:
            yield stage
        except BaseException:
            with contextlib.suppress(Exception):
                discard_postgres_stage(conn, settings.pg_schema)
            raise
        merged = swap_postgres_stage(conn, settings.pg_schema, deltas)
        stage.swapped.update({"delta_rows": merged} if merged else {})
    finally:
        conn.close()


@contextlib.contextmanager
def staged(settings: Settings, full_refresh: bool = False) -> Iterator[Stage]:
    """A Stage to write into; swapped in when the block ends normally, discarded otherwise.

    The caller must hold the writer lock (webstats.core.warehouse): staging paths are fixed
    names.
    """
    if settings.target == "postgres":
        with postgres_stage(settings, full_refresh) as stage:
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
            stage_cm = staged(settings, full_refresh)
            stage = stage_cm.__enter__()
        try:
            with DbtSession(stage.build, stage.vars_for(dbt_vars)) as dbt:
                stage = dataclasses.replace(stage, dbt=dbt)
                problems = work(stage)
                if build_after if isinstance(build_after, bool) else build_after():
                    _build(stage, settings, full_refresh, live)
        except BaseException:
            stage_cm.__exit__(*sys.exc_info())
            raise
        with step("swap", {"where": location(settings)}) as rec:
            stage_cm.__exit__(None, None, None)
            rec.update(_published(settings) | stage.swapped)
        return problems
    finally:
        lock.__exit__(None, None, None)


def _build(stage: Stage, settings: Settings, full_refresh: bool, live: bool) -> None:
    """The build step, in the run's dbt process (Stage.dbt)."""
    with step("build", {"full_refresh": full_refresh, **settings.describe()}) as rec:
        command = build_command(full_refresh)
        output = stage.dbt.run(command, quiet=not live, extra_env=stage.dbt_env)
        rec["dbt"] = summary_line(output)


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
