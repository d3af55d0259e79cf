"""On DuckDB the site reads a file of its own: the served marts of the last complete build.

DuckDB lets one process write a database file, and only while no other process has it open
(even read-only). A web server holding the warehouse would therefore stop every `dbt build`,
`webstats build` and `webstats load` for as long as it runs. So the server never opens the
warehouse: each build ends by copying the tables the site reads (`SITE_TABLES`, the marts
and the seeds, never the raw requests or the `downloads` history) into a new file beside
the warehouse and renaming it over `<warehouse>.site.duckdb` (`site_path`). A rename is
atomic: the server sees the previous build or the new one, never a mix, and reopens when the
file's identity changes; the writers keep the warehouse to themselves.

The copy is made by the last model of the dbt project (`models/audit/site_publication.py`,
after `webstats_info`, so only a build whose checks all passed publishes), which makes plain
`dbt build` publish too. Its cost is the size of the served marts, not of the history.
"""

from __future__ import annotations

import os
import time
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
SITE_ALIAS = "webstats_site"


def site_path(duckdb_path: Path) -> Path:
    """`webstats.duckdb` -> `webstats.site.duckdb` (same directory, so a rename is atomic)."""
    path = Path(duckdb_path)
    return path.with_name(f"{path.stem}.site{path.suffix}")


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


def publish(con: Any, tables: tuple[str, ...] = SITE_TABLES) -> dict[str, Any]:
    """Copy `tables` of the connection's warehouse into a new site file and swap it in.

    `con` is a DuckDB connection to the warehouse (dbt's session, or one the caller opened).
    Returns what was published: the file, its size in bytes and the seconds it took.
    """
    started = time.monotonic()
    final = site_path(database_path(con))
    work = final.with_name(final.name + ".tmp")
    for stale in (work, work.with_name(work.name + ".wal")):  # a killed publication's
        stale.unlink(missing_ok=True)
    con.execute("set enable_progress_bar = false")  # no bar in dbt's output or a log
    con.execute(f"attach {_quote(str(work))} as {SITE_ALIAS}")
    try:
        for table in tables:
            con.execute(f"create table {SITE_ALIAS}.{table} as select * from {table}")
    finally:
        con.execute(f"detach {SITE_ALIAS}")  # checkpoints and closes the new file
    _fsync(work)
    os.replace(work, final)
    _fsync(final.parent, directory=True)
    return {
        "site_file": str(final),
        "bytes": final.stat().st_size,
        "seconds": round(time.monotonic() - started, 3),
    }
