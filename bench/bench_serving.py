"""Cached pages against the stack's ceiling: `webstats serve` beside a bare Waitress app.

For each URL class of the legacy site (the software index, a package page, a package `.tab`,
`bioc_pkg_scores.tab`, `bioc_pkg_stats.tab`, a 404), the body and headers our server answers
are fetched once; a bare WSGI app then answers exactly those bytes from a dict in memory,
under Waitress with the same number of threads (bodies above 64 KB handed to Waitress's file
wrapper in 256 KB blocks, as ours does: the best way we know to give Waitress a large body,
so that the ratio measures per-request work, not the choice of delivery).
The bare app is the ceiling: whatever our server does per request beyond it is our cost.

Robust on a small, busy machine: `--rounds` rounds, each running wrk once per URL class
against each server (who goes first alternates), so that the load of other jobs drifts over
both alike; the ratio reported per class is the median of the rounds' ratios of requests/s,
with their spread (min-max). Requests/s on a busy machine say as much about the other jobs
as about the server, so the server's own CPU time per request (user + system, from /proc,
over each wrk run) is reported too, and its ratio (bare's over ours): the same question,
asked of the work each server does rather than of the CPU it was given. With `--pin` (the
default when there are 2+ CPUs), both servers run on CPU 0 and wrk on CPU 1 (taskset), so a
server never competes with the load generator for its core.

    python bench/bench_serving.py [--rounds 5] [--duration 3] [--connections 16] [--db FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
from loadgen import (
    WrkResult,
    cpu_seconds,
    free_port,
    parse_options,
    pinned,
    run_wrk,
    start_server,
    stop_server,
)
from marts import ensure

BARE = """
import io, json, logging, sys
from waitress.server import create_server
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
answers = {{}}
for path, status, headers, body_file in json.load(open({table!r})):
    answers[path] = (status, [tuple(h) for h in headers], open(body_file, "rb").read())

class Blocks:
    def __init__(self, body):
        self.file = io.BytesIO(body)
        self.seek, self.tell, self.close = self.file.seek, self.file.tell, self.file.close
    def seekable(self):
        return True
    def read(self, n=-1):
        return self.file.read(262144 if n is None or n < 0 or n > 262144 else n)

def app(environ, start_response):
    status, headers, body = answers[environ["PATH_INFO"]]
    start_response(status, headers)
    if len(body) > 65536:
        return environ["wsgi.file_wrapper"](Blocks(body))
    return [body]

server = create_server(app, host="127.0.0.1", port={port}, threads={threads})
print("ready", flush=True)
server.run()
"""

#: headers the bare app does not repeat (Waitress writes its own)
HOP_HEADERS = {"connection", "date", "server", "transfer-encoding"}


def fetch(url: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body our server answers for `url` (a 404 included)."""
    try:
        with urllib.request.urlopen(url) as resp:
            return f"{resp.status} {resp.reason}", list(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return f"{err.code} {err.reason}", list(err.headers.items()), err.read()


def start_bare(
    answers: list, tmp: Path, port: int, threads: int, cpus: str | None = None
) -> subprocess.Popen:
    """The bare Waitress app over `answers` [(path, status, headers, body)], ready to serve."""
    table = []
    for i, (path, status, headers, body) in enumerate(answers):
        body_file = tmp / f"body{i}"
        body_file.write_bytes(body)
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
        table.append((path, status, kept, str(body_file)))
    (tmp / "table.json").write_text(json.dumps(table))
    code = BARE.format(table=str(tmp / "table.json"), port=port, threads=threads)
    cmd = pinned([sys.executable, "-c", code], cpus)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def median_run(runs: list) -> WrkResult:
    """The run with the median requests/s."""
    return sorted(runs, key=lambda r: r.requests_per_s)[len(runs) // 2]


def url_classes(db: Path) -> list[tuple[str, str]]:
    """(label, path under /packages/stats/) for each class of cached URL measured."""
    con = duckdb.connect(str(db), read_only=True)
    (pkg,) = con.execute(
        "select package from package_scores where category = 'bioc' order by rank limit 1"
    ).fetchone()
    con.close()
    return [
        ("software index page", ""),
        ("package page", f"bioc/{pkg}/"),
        ("package .tab", f"bioc/{pkg}/{pkg}_stats.tab"),
        ("bioc_pkg_scores.tab", "bioc/bioc_pkg_scores.tab"),
        ("bioc_pkg_stats.tab", "bioc/bioc_pkg_stats.tab"),
        ("404", "bioc/NoSuchPackage/"),
    ]


def _more_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="wrk runs per URL and server")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=(os.cpu_count() or 1) >= 2,
        help="servers on CPU 0, wrk on CPU 1 (default with 2+ CPUs)",
    )


def measure(args, classes, answers, servers: dict[str, subprocess.Popen], ports) -> list[tuple]:
    """Rounds over every URL class and both servers; per class (label, bytes, per server
    its median run and the median CPU microseconds per request, the rounds' ratios of
    requests/s and of CPU per request)."""
    prefix = "/packages/stats/"
    runs = {label: {"ours": [], "bare": []} for label, _ in classes}
    cpu = {label: {"ours": [], "bare": []} for label, _ in classes}
    wrk_cpus = "1" if args.pin else None
    for i in range(args.rounds):
        for label, path in classes:  # alternate who goes first: the machine's load drifts
            order = ("ours", "bare") if i % 2 == 0 else ("bare", "ours")
            for name in order:
                before = cpu_seconds(servers[name].pid)
                run = run_wrk(
                    f"http://127.0.0.1:{ports[name]}{prefix}{path}",
                    args.duration,
                    args.connections,
                    args.wrk_threads,
                    allow_errors=label == "404",
                    cpus=wrk_cpus,
                )
                runs[label][name].append(run)
                used = cpu_seconds(servers[name].pid) - before
                cpu[label][name].append(used * 1e6 / max(1, run.requests))
        print(f"round {i + 1}/{args.rounds} done, load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for (label, _path), answer in zip(classes, answers, strict=True):
        r, c = runs[label], cpu[label]
        ratios = [
            x.requests_per_s / y.requests_per_s for x, y in zip(r["ours"], r["bare"], strict=True)
        ]
        cpu_ratios = [y / x for x, y in zip(c["ours"], c["bare"], strict=True) if x > 0]
        rows.append(
            (
                label,
                len(answer[3]),
                median_run(r["ours"]),
                statistics.median(c["ours"]),
                median_run(r["bare"]),
                statistics.median(c["bare"]),
                ratios,
                cpu_ratios,
            )
        )
    return rows


def report(args, rows: list[tuple], load_before: float) -> None:
    print()
    print(
        f"{args.rounds} rounds of wrk -t{args.wrk_threads} -c{args.connections} "
        f"-d{args.duration}s --latency per URL and server; Waitress {args.server_threads} "
        f"threads each; {os.cpu_count()} CPUs; "
        + ("servers on CPU 0, wrk on CPU 1; " if args.pin else "not pinned; ")
        + f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        "ours/bare: requests/s ours over bare (median of the rounds, min-max); by CPU: the "
        "server's CPU time per request, bare's over ours (the same ratio, insensitive to "
        "other jobs taking the CPU)"
    )
    print(
        "| URL | bytes | ours req/s | ours p99 (ms) | ours CPU/req (us) | bare req/s "
        "| bare p99 (ms) | bare CPU/req (us) | ours/bare req/s | min-max | ours/bare by CPU "
        "| min-max |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, size, o, o_cpu, b, b_cpu, ratios, cpu_ratios in rows:
        by_cpu = (
            f"{statistics.median(cpu_ratios):.2f} | {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}"
            if cpu_ratios
            else "- | -"
        )
        print(
            f"| {label} | {size:,} | {o.requests_per_s:,.0f} | {o.p99_ms:.2f} | {o_cpu:,.0f} | "
            f"{b.requests_per_s:,.0f} | {b.p99_ms:.2f} | {b_cpu:,.0f} | "
            f"{statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} | {by_cpu} |"
        )


def main() -> None:
    args = parse_options(
        __doc__.splitlines()[0], connections=16, wrk_threads=2, duration=3, more=_more_options
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    db = args.db or tmp / "marts.duckdb"
    if (seconds := ensure(db)) is not None:
        print(f"synthesised {db} in {seconds:.1f} s")
    classes = url_classes(db)
    ours_port, bare_port = free_port(), free_port()
    server_cpus = "0" if args.pin else None
    ours = start_server(db, ours_port, args.server_threads, production=True, cpus=server_cpus)
    bare = None
    try:
        prefix = "/packages/stats/"
        answers = []
        for _label, path in classes:  # the first request renders; the second is the cached one
            fetch(f"http://127.0.0.1:{ours_port}{prefix}{path}")
            answers.append((prefix + path, *fetch(f"http://127.0.0.1:{ours_port}{prefix}{path}")))
        bare = start_bare(answers, tmp, bare_port, args.server_threads, server_cpus)
        load_before = os.getloadavg()[0]
        servers = {"ours": ours, "bare": bare}
        ports = {"ours": ours_port, "bare": bare_port}
        report(args, measure(args, classes, answers, servers, ports), load_before)
    finally:
        stop_server(ours, timeout=30)
        if bare is not None:
            stop_server(bare, timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
