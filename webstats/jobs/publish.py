"""Publish tables into the DuckDB file the site reads: a copy is changed, then renamed over it.

The site reads one DuckDB file and picks up a new one by its inode (renderer/snapshot.py).
A publication applies a set of table changes, each from Parquet files, to a copy of that
file (`<file>.next`), and renames the copy over it: readers see the previous publication or
the new one, never a mix, and a failed publication leaves only the copy, which the next
one discards. Each change replaces a table, appends to it, or upserts by key (deletes the
rows whose key comes again, inserts the new rows); a table that does not exist yet is
created from the files.

Used by the Athena target (webstats/jobs/athena.py), whose marts are unloaded to Parquet
after each build; any build that can write its served tables as Parquet can publish the
same way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

MODES = ("replace", "append", "upsert")


@dataclass(frozen=True)
class TableChange:
    """New rows for one table (Parquet files, possibly none) and how they apply."""

    table: str
    files: Sequence[Path]
    mode: str
    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES or (self.mode == "upsert") != bool(self.keys):
            raise ValueError(f"bad change of {self.table}: {self.mode} by {self.keys}")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_name = ?"
    return con.execute(sql, [table]).fetchone()[0] > 0


def _apply(con: duckdb.DuckDBPyConnection, change: TableChange) -> int:
    """Apply one change; returns the number of rows it brought."""
    t = '"' + change.table + '"'
    if not change.files:
        if change.mode == "replace" and _exists(con, change.table):
            con.execute(f"delete from {t}")
        return 0
    con.execute(
        "create or replace temp table publish_rows as select * from read_parquet(?)",
        [[str(f) for f in change.files]],
    )
    if change.mode == "replace" or not _exists(con, change.table):
        con.execute(f"create or replace table {t} as select * from publish_rows")
    else:
        if change.mode == "upsert":
            keys = ", ".join(change.keys)
            con.execute(f"delete from {t} where ({keys}) in (select ({keys}) from publish_rows)")
        con.execute(f"insert into {t} by name select * from publish_rows")
    return con.execute("select count(*) from publish_rows").fetchone()[0]


def _sibling(path: Path, suffix: str) -> Path:
    """`<file><suffix>` beside `path` (same directory, so a rename is atomic)."""
    return path.with_name(path.name + suffix)


def _discard(path: Path) -> None:
    """Remove a database file and its write-ahead log (a killed publication's copy)."""
    for p in (path, _sibling(path, ".wal")):
        p.unlink(missing_ok=True)


def publish(path: Path, changes: Sequence[TableChange]) -> dict[str, int]:
    """Apply `changes` to the DuckDB file at `path` all at once; rows brought per table."""
    work = _sibling(path, ".next")
    _discard(work)
    if path.exists():
        shutil.copyfile(path, work)
    counts = {}
    try:
        with duckdb.connect(str(work)) as con:
            con.execute("begin transaction")
            for change in changes:
                counts[change.table] = _apply(con, change)
            con.execute("commit")
            con.execute("checkpoint")
        fd = os.open(work, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _discard(work)
        raise
    _sibling(work, ".wal").unlink(missing_ok=True)  # folded in by the checkpoint
    os.replace(work, path)
    return counts
