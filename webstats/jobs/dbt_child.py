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

import json
import logging
import multiprocessing.util
import os
import sys
import traceback

from dbt.cli.main import cli, dbtRunner

from webstats.jobs.dbt import SESSION_END


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


def _closed_duckdb(code: int) -> int:
    """close_duckdb; the exit code, made non-zero if that failed."""
    try:
        close_duckdb()
    except Exception as exc:  # committed work is safe in the WAL; a full disk must be seen
        print(f"error: checkpointing the DuckDB database failed: {exc}", file=sys.stderr)
        code = code or 1
    return code


def main() -> None:
    code = 0
    try:
        cli()
    except SystemExit as exc:  # click ends every command with sys.exit
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    _exit(_closed_duckdb(code))


def _invoke(request: dict, manifest: object) -> tuple[int, object]:
    """One command of a session: (dbt's exit code, the parsed project for the next one).
    The project is parsed once (`parse`, the session's first request), then handed to
    every command: they all pass the same vars."""
    if manifest is None:
        parsed = dbtRunner().invoke(request["parse"])
        if not parsed.success:
            return 2, None
        manifest = parsed.result
    result = dbtRunner(manifest=manifest).invoke(request["args"])
    if result.success:
        return 0, manifest
    return (2 if result.exception is not None else 1), manifest


def session() -> None:
    """Several dbt commands in this one process, one request (a JSON line on stdin: `args`,
    `parse`, `env`) at a time, each answered by its output and a SESSION_END line with its
    exit code; ends at the end of stdin (webstats.jobs.dbt.DbtSession).

    Why: each dbt process spends seconds importing dbt and reading its parsed project (3-5 s
    on a quiet 2-core machine, 20 s and more under load); the nightly job runs two commands
    (`source freshness`, then `build`) and does its own work between them. The DuckDB file
    is closed after each command, so that the job can write it in between."""
    manifest = None
    for line in sys.stdin:
        request = json.loads(line)
        before = {k: os.environ.get(k) for k in request["env"]}
        os.environ.update(request["env"])
        try:
            code, manifest = _invoke(request, manifest)
        except Exception:  # dbt's own failures come back as results; this is a bug
            traceback.print_exc(file=sys.stdout)
            code = 2
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        code = _closed_duckdb(code)
        sys.stdout.flush()
        print(f"{SESSION_END} {code}", flush=True)
    _exit(0)


def _exit(code: int) -> None:
    """Leave without Python's teardown (see the module's docstring)."""
    multiprocessing.util._exit_function()  # what its atexit hook would run at a normal exit
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
