"""A dbt launcher for the test suite: dbt imported once, a fork per run.

Importing dbt takes about three seconds of CPU, and the suite runs dbt about a hundred
times. `serve SOCKET` imports webstats' dbt entry point (and the DuckDB and PostgreSQL
adapters), then forks one process per request; `run SOCKET ARGS...` is the command
webstats runs instead of a fresh Python ($WEBSTATS_DBT_COMMAND): it hands the server its
standard streams, environment and working directory, and exits with dbt's exit code. The
run is the real dbt command line of webstats/jobs/dbt_child.py, in a process of its own.

Tests that kill a job's process group, or look for the dbt process under it, unset
$WEBSTATS_DBT_COMMAND: a forked run is the server's child, not the job's.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import struct
import sys

#: dbt classes whose JSON schemas a run validates against: built once here (mashumaro
#: builds them on first use, a second or two of every run); a name dbt no longer has is
#: skipped
SCHEMA_CLASSES = (
    "dbt.adapters.duckdb.credentials:DuckDBCredentials",
    "dbt.adapters.postgres.connections:PostgresCredentials",
    "dbt.artifacts.resources.v1.components:Contract",
    "dbt.artifacts.resources.v1.config:TestConfig",
    "dbt.artifacts.resources.v1.model:ModelConfig",
    "dbt.artifacts.resources.v1.seed:SeedConfig",
    "dbt.artifacts.resources.v1.source_definition:SourceConfig",
    "dbt.artifacts.resources.v1.unit_test_definition:UnitTestConfig",
    "dbt.contracts.graph.nodes:GenericTestNode",
    "dbt.contracts.graph.nodes:ModelNode",
    "dbt.contracts.graph.nodes:SeedNode",
    "dbt.contracts.graph.nodes:SingularTestNode",
    "dbt.contracts.graph.unparsed:UnparsedModelUpdate",
    "dbt.contracts.graph.unparsed:UnparsedNodeUpdate",
    "dbt.contracts.graph.unparsed:UnparsedSourceDefinition",
    "dbt.contracts.graph.unparsed:UnparsedUnitTest",
    "dbt.contracts.project:Configuration",
    "dbt.contracts.project:PackageConfig",
    "dbt.contracts.project:ProfileConfig",
    "dbt.contracts.project:Project",
    "dbt.contracts.project:ProjectFlags",
    "dbt.contracts.selection:SelectorFile",
    "dbt.task.test:TestResultData",
)


def _warm_schemas() -> None:

    for spec in SCHEMA_CLASSES:
        module, name = spec.split(":")
        try:
            getattr(importlib.import_module(module), name).json_schema()
        except (ImportError, AttributeError):
            continue


def serve(path: str) -> None:
    """Accept requests forever; each is handled in a process of its own."""
    import dbt.adapters.duckdb  # noqa: F401  (imported once here: what the server is for)
    import dbt.adapters.postgres  # noqa: F401  (the start-up saved on every run)

    from webstats.jobs import dbt_child  # noqa: F401  (imports dbt's command line)

    _warm_schemas()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            _handle(conn)  # never returns
        conn.close()
        while True:  # reap finished handlers
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


def _handle(conn: socket.socket) -> None:
    """Run one dbt command as the client asked; send back its exit code."""
    from webstats.jobs import dbt_child

    head, fds, _, _ = socket.recv_fds(conn, 4, 3)
    (size,) = struct.unpack("!I", head)
    body = b""
    while len(body) < size:
        body += conn.recv(size - len(body))
    request = json.loads(body)
    pid = os.fork()
    if pid == 0:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = ["dbt", *request["args"]]
        dbt_child.main()  # exits the process
    _, status = os.waitpid(pid, 0)
    conn.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))
    os._exit(0)


def run(path: str, args: list[str]) -> int:
    """Ask the server to run `dbt ARGS` with this process's streams; dbt's exit code."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    body = json.dumps({"args": args, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    socket.send_fds(client, [struct.pack("!I", len(body))], [0, 1, 2])
    client.sendall(body)
    answer = b""
    while len(answer) < 4:
        chunk = client.recv(4 - len(answer))
        if not chunk:
            return 1  # the server went away
        answer += chunk
    return struct.unpack("!i", answer)[0]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
