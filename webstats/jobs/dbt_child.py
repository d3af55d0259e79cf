"""The dbt subprocess's entry point: dbt's own command line, then a quick exit.

Why not plain `dbt`: when dbt's command returns, Python's shutdown spends about half a
second tearing down the objects of dbt's manifest and graph, and the DuckDB database is
checkpointed only as a side effect of that teardown. A nightly run is a few seconds long,
so this ends it deliberately instead: the DuckDB database is checkpointed and closed
explicitly (everything the run committed is in the database file, no write-ahead log is
left for the next reader to replay), multiprocessing releases the semaphores dbt created
(else its resource tracker warns about leaked ones), the log handlers and standard streams
are flushed, and the process exits with dbt's exit code without the teardown.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import sys

from dbt.cli.main import cli


def close_duckdb() -> None:
    """Checkpoint and close the DuckDB database dbt-duckdb kept open (if this run used it)."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return
    manager = connections.DuckDBConnectionManager
    env = manager._ENV
    manager.close_all_connections()
    conn = getattr(env, "conn", None)
    if conn is not None:
        conn.execute("checkpoint")
        env.close()


def main() -> None:
    code = 0
    try:
        cli()
    except SystemExit as exc:  # click ends every command with sys.exit
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    try:
        close_duckdb()
    except Exception as exc:  # committed work is safe in the WAL; a full disk must be seen
        print(f"error: checkpointing the DuckDB database failed: {exc}", file=sys.stderr)
        code = code or 1
    multiprocessing.util._exit_function()  # what its atexit hook would run at a normal exit
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
