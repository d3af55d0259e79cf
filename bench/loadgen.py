"""Load-generation helpers shared by the HTTP benchmarks (bench_api.py, bench_renderer.py).

The app runs under Waitress in a subprocess on a DuckDB file (`start_server`); `wrk` drives
it on loopback (`run_wrk`), and the server's memory is read from /proc (`rss_mb`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

SERVER = """
import logging
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # wrk overfills it on purpose
from webstats.core.settings import PROJECT_DIR, Settings, pg_defaults
pg_defaults()
project = Path({project!r}) if {project!r} else PROJECT_DIR
settings = Settings({target!r}, Path({db!r}), {schema!r}, project, "https://bioconductor.org")
if {production!r}:
    from renderer.serve import make_server
    server = make_server(settings, "127.0.0.1", {port}, threads={threads})
else:
    from waitress.server import create_server
    from renderer.app import create_app
    server = create_server(create_app(settings), host="127.0.0.1", port={port},
                           threads={threads})
print("ready", flush=True)
server.run()
"""


def parse_options(
    description: str,
    connections: int,
    wrk_threads: int,
    wrk_threads_flag: str = "--wrk-threads",
    duration: int = 10,
    more: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """The command line every HTTP benchmark takes (wrk threads in `.wrk_threads`), plus
    what `more` adds; exits when wrk is not installed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, help="reuse (or create) this DuckDB file")
    parser.add_argument("--duration", type=int, default=duration, help="seconds of wrk per URL")
    parser.add_argument(
        wrk_threads_flag, dest="wrk_threads", type=int, default=wrk_threads, help="wrk threads"
    )
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--server-threads", type=int, default=8, help="Waitress threads")
    if more is not None:
        more(parser)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")
    return args


class WrkResult(NamedTuple):
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int = 0  # answered in the run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path,
    port: int,
    threads: int,
    production: bool = True,
    target: str = "duckdb",
    schema: str = "webstats",
    project: Path | None = None,
    cpus: str | None = None,
) -> subprocess.Popen:
    """Waitress serving `renderer.app.create_app` on the DuckDB file `db`, once it listens
    (or on the PostgreSQL `schema` with target "postgres"; `project`: a copy of the dbt
    project, e.g. with a larger manifest, instead of this checkout's).

    production: through `renderer.serve.make_server`, as `webstats serve` runs it (malloc
    arenas capped, categories and score tables loaded by `warm_up` before the first request);
    otherwise the bare app, so that the first request of a URL pays for all it reads.
    cpus: run the server on these CPUs only (`taskset -c`, e.g. "0"; see `pinned`).
    """
    code = SERVER.format(
        root=str(ROOT),
        db=str(db),
        port=port,
        threads=threads,
        production=production,
        target=target,
        schema=schema,
        project=str(project or ""),
    )
    cmd = pinned([sys.executable, "-c", code], cpus)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError("waitress did not start")
    return proc


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    """`cmd` run on the CPUs `cpus` only (taskset), or as it is when `cpus` is None: on a
    small shared machine, pinning the server and the load generator to different cores keeps
    them from stealing each other's time slices (bench_serving.py)."""
    return cmd if cpus is None else ["taskset", "-c", cpus, *cmd]


def stop_server(proc: subprocess.Popen, timeout: float = 30) -> None:
    proc.terminate()
    proc.wait(timeout=timeout)


def timed_get(url: str, timeout: float = 300) -> tuple[float, int]:
    """(milliseconds, body bytes) of one GET; HTTP errors raise `urllib.error.HTTPError`."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        size = len(resp.read())
    return (time.perf_counter() - t0) * 1000, size


def first_request_ms(url: str) -> float:
    """One cold request: the query runs and the answer is memoised."""
    return timed_get(url)[0]


def to_ms(text: str) -> float:
    """A wrk duration (`812.00us`, `1.20ms`, `2.01s`, `1.05m`) in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(
    url: str,
    duration: int,
    connections: int,
    threads: int,
    script: Path | None = None,
    allow_errors: bool = False,
    cpus: str | None = None,
) -> WrkResult:
    """Requests/s and p50/p99 latency (ms) of `wrk --latency` against `url`.

    Non-2xx answers raise unless `allow_errors` (e.g. when measuring a 404 page); `cpus`:
    run wrk on these CPUs only (`pinned`).
    """
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    done = subprocess.run(pinned([*cmd, url], cpus), capture_output=True, text=True, check=True)
    out = done.stdout
    if "Non-2xx" in out and not allow_errors:
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    done_requests = int(re.search(r"(\d+) requests in", out).group(1))
    return WrkResult(rps, p50, p99, done_requests)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` (all its threads) has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of process `pid` in MB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    cur = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return cur, peak
