"""The one place that knows DuckDB from PostgreSQL.

Everything else asks this module for what it needs from the warehouse of a `Settings`:
a connection (`connect`), a SQLAlchemy engine for the renderer (`sqlalchemy_engine`), the
writer lock (`writer_lock`), and small facts (`location`, `state_key`, `file_identity`).
The two engines differ in ways these hide: DuckDB is one file that one process may write
while no other process has it open (so the site reads a published copy of the served
tables, webstats/core/site_file.py), PostgreSQL is a schema on a server; DuckDB
binds `?` placeholders and PostgreSQL's driver `%s`; the writer lock is an `flock` on a file
beside the DuckDB file, or a session advisory lock on PostgreSQL. Athena has no connection
here: dbt reaches it, and the site never reads it directly: it reads the DuckDB file
Athena's marts are published to after each build (`served`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .settings import Settings
from .site_file import SITE_TABLES, site_path

#: exit status of a writer that found another one holding the lock (EX_TEMPFAIL: try later)
BUSY_EXIT = 75


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's writer lock."""


def held_by_another_process(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB refusing a file another process has open (a plain `dbt
    build`, which takes no writer lock): the same "try later" as WarehouseBusy."""
    from_duckdb = type(exc).__module__.lstrip("_").startswith("duckdb")
    return from_duckdb and "Could not set lock" in str(exc)


class NoConnection(ValueError):
    """The target has no connection this program can open (Athena)."""


def quote_ident(name: str) -> str:
    """A quoted SQL identifier (both engines quote with double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def _pg_placeholders(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and literal `%` doubled), outside quoted text."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append("%%" if ch == "%" else ch)
    return "".join(out)


class Connection:
    """A connection to either engine behind one small interface.

    SQL uses `?` placeholders; statements run in autocommit mode unless inside
    `transaction()`; `copy_csv` appends a header-less CSV file to a table in bulk.
    """

    def __init__(self, engine: str, raw: Any):
        self.engine = engine
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement; the result has `fetchone()` / `fetchall()`."""
        if self.engine == "postgres":
            if params is None:
                return self.raw.execute(sql)
            return self.raw.execute(_pg_placeholders(sql), list(params))
        return self.raw.execute(sql, list(params) if params is not None else None)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.engine == "postgres":
            with self.raw.cursor() as cur:
                cur.executemany(_pg_placeholders(sql), rows)
        else:
            self.raw.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All statements of the block commit together, or none does."""
        if self.engine == "postgres":
            with self.raw.transaction():
                yield self
            return
        self.raw.execute("begin transaction")
        try:
            yield self
        except BaseException:
            self.raw.execute("rollback")
            raise
        self.raw.execute("commit")

    def copy_csv(self, table: str, path: Path, columns: str | None = None) -> None:
        """Append the rows of a header-less CSV file to `table` (optionally these columns)."""
        cols = f" ({columns})" if columns else ""
        if self.engine == "postgres":
            with (
                self.raw.cursor() as cur,
                cur.copy(f"copy {table}{cols} from stdin (format csv)") as copy,
                open(path, "rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            return
        literal = "'" + str(path).replace("'", "''") + "'"
        self.raw.execute(f"copy {table}{cols} from {literal} (format csv, header false)")

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_connection(settings: Settings) -> NoConnection:
    return NoConnection(
        f"the {settings.target} target has no direct connection; it is reached through dbt "
        "(and reads the logs in place in S3)"
    )


def connect(settings: Settings, read_only: bool = False, create_schema: bool = False) -> Connection:
    """A connection to the settings' warehouse: the DuckDB file, or the PostgreSQL schema
    (as search_path; `create_schema` creates it first when missing)."""
    if settings.target == "duckdb":
        import duckdb  # imported on use: keeps `webstats --help` fast

        if not read_only:  # a first run: the state directory may not exist yet
            settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return Connection("duckdb", duckdb.connect(str(settings.duckdb_path), read_only=read_only))
    if settings.target == "postgres":
        import psycopg  # imported on use: keeps `webstats --help` fast

        schema = settings.pg_schema
        raw = psycopg.connect(autocommit=True, options=f"-csearch_path={schema}")
        if create_schema:
            raw.execute(f"create schema if not exists {quote_ident(schema)}")
        if read_only:
            raw.execute("set default_transaction_read_only = on")
        return Connection("postgres", raw)
    raise _no_connection(settings)


def connect_server(settings: Settings) -> Connection:
    """A connection to the PostgreSQL server with no schema on the search path (for work
    that spans schemas: the nightly job's staging schema and swap)."""
    if settings.target != "postgres":
        raise _no_connection(settings)
    import psycopg  # imported on use: keeps `webstats --help` fast

    return Connection("postgres", psycopg.connect(autocommit=True, application_name="webstats"))


def served_path(settings: Settings) -> Path | None:
    """The file the site reads: on DuckDB the build's published copy of the served tables
    (webstats/core/site_file.py), on Athena the DuckDB file its marts are published to
    (webstats/jobs/publish.py); None for a warehouse on a server, read in place."""
    if settings.target == "duckdb":
        return site_path(settings.duckdb_path)
    if settings.target == "athena":
        return published_path(settings)
    return None


#: DuckDB settings of the site's read-only connections: no file outside the database is read
#: or written (no COPY TO, read_text, read_csv, ATTACH, extension install), and a query
#: cannot switch that back on. One thread per query: the site's queries are small, and a
#: large one must leave a CPU to the page views (bench/bench_hostile.py).
SITE_DUCKDB_CONFIG = {"enable_external_access": False, "threads": 1, "lock_configuration": True}


def sqlalchemy_engine(settings: Settings, read_only: bool = True, pool_size: int = 5) -> Any:
    """A SQLAlchemy engine over the tables the site serves (the renderer reads through it):
    the published site file on DuckDB, the schema itself on PostgreSQL."""
    import sqlalchemy as sa  # imported on use: keeps `webstats --help` fast

    # Defence in depth (docs/privacy.md): even a query text gone wrong can neither write a
    # file nor read one outside the database; on PostgreSQL the transactions are read-only
    # (and the site's role has no file privileges, README "The targets").
    read_only_option = " -cdefault_transaction_read_only=on" if read_only else ""

    if settings.target in ("duckdb", "athena"):
        return sa.create_engine(
            f"duckdb:///{served_path(settings)}",
            connect_args={"read_only": True, "config": SITE_DUCKDB_CONFIG} if read_only else {},
            poolclass=sa.pool.QueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
        )
    if settings.target == "postgres":
        return sa.create_engine(
            "postgresql+psycopg://",  # libpq reads PGHOST, PGPORT, PGUSER, ...
            connect_args={"options": f"-csearch_path={settings.pg_schema}{read_only_option}"},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
        )
    raise _no_connection(settings)


def served(settings: Settings) -> Settings:
    """Settings that `connect` to the tables the site reads: the file `served_path` names
    (for Athena, whose queries take seconds and cost money, the DuckDB file its served marts
    are published to, so that no web request ever starts an Athena query), or the schema
    on a server."""
    path = served_path(settings)
    if path is None:
        return settings
    return dataclasses.replace(settings, target="duckdb", duckdb_path=path)


def published_path(settings: Settings) -> Path:
    """The DuckDB file Athena's served marts are published to."""
    return settings.athena_published or settings.project_dir / "webstats-athena.duckdb"


def file_identity(settings: Settings) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of the served file, or None for a warehouse on a server.

    Each DuckDB build publishes the served tables as a new file; readers reopen when this
    changes. Raises FileNotFoundError when the file is missing.
    """
    served = served_path(settings)
    return None if served is None else path_identity(str(served))


def path_identity(path: str) -> tuple[int, int, int]:
    """(inode, mtime, size) of `path`: what changes when a publication replaces the file."""
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def exists(settings: Settings) -> bool:
    """Whether the warehouse has been created (a DuckDB file is; a server always is)."""
    return settings.target != "duckdb" or settings.duckdb_path.exists()


def serves(settings: Settings) -> bool:
    """Whether there is something for the site to read (on DuckDB: a published build)."""
    served = served_path(settings)
    return served is None or served.exists()


def loads_logs(settings: Settings) -> bool:
    """Whether `webstats load` fills this warehouse's raw tables (Athena reads S3 in place)."""
    return settings.target in ("duckdb", "postgres")


def location(settings: Settings) -> str:
    """Where the warehouse is, for people: the DuckDB file, or the PostgreSQL schema."""
    if settings.target == "duckdb":
        return str(settings.duckdb_path)
    if settings.target == "postgres":
        return f"schema {settings.pg_schema}"
    return settings.target


def state_key(settings: Settings) -> str:
    """A short name unique to this target and warehouse (dbt's state directory)."""
    where = settings.duckdb_path if settings.target == "duckdb" else settings.pg_schema
    digest = hashlib.sha1(f"{settings.target}:{where}".encode()).hexdigest()[:12]
    return f"{settings.target}-{digest}"


# ------------------------------------------------------------------------- the writer lock


def lock_path(duckdb_path: Path) -> Path:
    """The lock file sits next to the DuckDB file, so every user of that file agrees on it."""
    return duckdb_path.with_name(duckdb_path.name + ".lock")


#: descriptors of the lock files this process holds (handed down to its dbt child)
_HELD_FDS: set[int] = set()
PR_SET_PDEATHSIG = 1


def held_lock_fds() -> tuple[int, ...]:
    """The writer-lock descriptors a child process must inherit.

    An flock belongs to the open file, not to the process: a child that inherits the
    descriptor keeps the lock held until it exits too, so a writer killed with `kill -9`
    cannot leave its dbt child writing while another writer starts.
    """
    return tuple(sorted(_HELD_FDS))


def child_process_setup():
    """A `preexec_fn` making the child die with this process (Linux PR_SET_PDEATHSIG).

    On PostgreSQL the writer lock is a session lock of this process's connection, which a
    `kill -9` ends at once: the child must not outlive it. Returns None where prctl is
    unavailable (the DuckDB lock is inherited anyway).
    """
    import ctypes  # imported on use: keeps `webstats --help` fast

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


@contextlib.contextmanager
def _file_lock(duckdb_path: Path) -> Iterator[Path]:
    """Hold an exclusive flock on the warehouse's lock file, or raise WarehouseBusy at once."""
    path = lock_path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise WarehouseBusy(
                    f"another webstats run holds {path}; not starting a second one"
                ) from exc
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD_FDS.add(fd)
        yield path
    finally:
        _HELD_FDS.discard(fd)
        os.close(fd)  # closing releases the flock (once no child holds it either)


def staging_schemas(schema: str) -> tuple[str, str]:
    """(staging, retired) schema names of the nightly job for the live `schema`
    (webstats/jobs/stage.py)."""
    return f"{schema}__next", f"{schema}__old"


def base_tables(conn: Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def restore_staged_tables(conn: Connection, schema: str) -> list[str]:
    """Move back into the live schema the unserved tables a failed or killed nightly run
    left in its staging schema (the stage moves them there to be written in place).

    Called whenever the PostgreSQL writer lock is taken, so that every writer (`prune`,
    `migrate-ip-hash`, the next refresh) finds them where they belong, and after a failed
    build. Only base tables the live schema lacks move, never a served one (a staged
    served table is an unfinished build's copy or delta, discarded with the stage)."""
    nxt, _ = staging_schemas(schema)
    live = set(base_tables(conn, schema))
    back = [
        t
        for t in base_tables(conn, nxt)
        if t not in live and t not in SITE_TABLES and not t.endswith(("__dbt_tmp", "__dbt_backup"))
    ]
    for table in back:
        conn.execute(
            f"alter table {quote_ident(nxt)}.{quote_ident(table)} set schema {quote_ident(schema)}"
        )
    return back


def advisory_key(schema: str) -> str:
    """Text hashed into the advisory lock id: one lock per warehouse schema."""
    return f"webstats-writer:{schema}"


@contextlib.contextmanager
def _advisory_lock(settings: Settings) -> Iterator[Connection]:
    """Hold a session-level advisory lock for the schema on a dedicated connection."""
    conn = connect_server(settings)
    try:
        got = conn.execute(
            "select pg_try_advisory_lock(hashtextextended(?, 0))",
            [advisory_key(settings.pg_schema)],
        ).fetchone()[0]
        if not got:
            raise WarehouseBusy(
                f"another webstats run holds the writer lock of schema {settings.pg_schema!r}; "
                "not starting a second one"
            )
        with conn.transaction():  # a killed run's leftovers, before anyone writes
            restore_staged_tables(conn, settings.pg_schema)
        yield conn
    finally:
        conn.close()  # ending the session releases the lock


@contextlib.contextmanager
def writer_lock(settings: Settings) -> Iterator[object]:
    """One writer at a time per warehouse (DuckDB file or PostgreSQL schema).

    Two nightly runs (a slow one and the next, or cron plus a manual run) must never both
    proceed: on DuckDB they would each build a copy and the second swap would throw away
    the first one's loads; on PostgreSQL they would race on the staging schema. The lock is
    held by the process itself and dies with it (an flock, a session advisory lock), so a
    killed run never leaves a stale lock behind. Raises WarehouseBusy when it is taken.
    """
    if settings.target == "duckdb":
        with _file_lock(settings.duckdb_path) as held:
            yield held
    elif settings.target == "postgres":
        with _advisory_lock(settings) as held:
            yield held
    else:  # Athena: one nightly job at a time, by the lock beside the file it publishes
        with _file_lock(published_path(settings)) as held:
            yield held
