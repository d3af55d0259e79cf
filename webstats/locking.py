"""One writer at a time: the lock every warehouse-changing operation (refresh, import, prune) takes.

Two nightly runs (a slow one and the next, or cron plus a manual run) must never both
proceed: on DuckDB they would each build a copy and the second swap would throw away the
first one's loads; on PostgreSQL they would race on the staging schema. The lock is held by
the process itself and dies with it (an flock on a file, a session advisory lock), so a
killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .config import Settings

#: exit status of a run that found another one holding the lock (EX_TEMPFAIL: try later)
BUSY_EXIT = 75


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's writer lock."""


def lock_path(duckdb_path: Path) -> Path:
    """The lock file sits next to the DuckDB file, so every user of that file agrees on it."""
    return duckdb_path.with_name(duckdb_path.name + ".lock")


@contextlib.contextmanager
def duckdb_lock(duckdb_path: Path) -> Iterator[Path]:
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
        yield path
    finally:
        os.close(fd)  # closing releases the flock


def advisory_key(schema: str) -> str:
    """Text hashed into the advisory lock id: one lock per warehouse schema."""
    return f"webstats-writer:{schema}"


@contextlib.contextmanager
def postgres_lock(schema: str) -> Iterator[object]:
    """Hold a session-level advisory lock for `schema` on a dedicated connection."""
    import psycopg

    conn = psycopg.connect(autocommit=True, application_name="webstats-lock")
    try:
        got = conn.execute(
            "select pg_try_advisory_lock(hashtextextended(%s, 0))", [advisory_key(schema)]
        ).fetchone()[0]
        if not got:
            raise WarehouseBusy(
                f"another webstats run holds the writer lock of schema {schema!r}; "
                "not starting a second one"
            )
        yield conn
    finally:
        conn.close()  # ending the session releases the lock


@contextlib.contextmanager
def writer_lock(settings: Settings) -> Iterator[object]:
    """The writer lock of the settings' warehouse (DuckDB file or Postgres schema)."""
    if settings.target == "duckdb":
        with duckdb_lock(settings.duckdb_path) as held:
            yield held
    elif settings.target == "postgres":
        with postgres_lock(settings.pg_schema) as held:
            yield held
    else:
        yield None  # Athena: dbt itself is the only writer; the scheduler runs one job
