"""Cached pages against the stack's ceiling: `webstats serve` beside a bare Waitress app.

For each URL class of the legacy site (the software index, a package page, a package `.tab`,
`bioc_pkg_scores.tab`, `bioc_pkg_stats.tab`, a 404), the body and headers our server answers
are fetched once; a bare WSGI app then answers exactly those bytes from a dict in memory,
under Waitress with the same number of threads. wrk drives both with the same settings, in
alternating rounds for each URL (the ratio printed is the median of the rounds' ratios), so
both see the same machine state.
The bare app is the ceiling: whatever our server does per request beyond it is our cost.

    python bench/bench_serving.py [--duration 10] [--connections 16] [--db FILE]
"""

from __future__ import annotations

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
from loadgen import WrkResult, free_port, parse_options, run_wrk, start_server, stop_server
from marts import ensure

BARE = """
import json, logging, sys
from waitress.server import create_server
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
answers = {{}}
for path, status, headers, body_file in json.load(open({table!r})):
    answers[path] = (status, [tuple(h) for h in headers], open(body_file, "rb").read())

def app(environ, start_response):
    status, headers, body = answers[environ["PATH_INFO"]]
    start_response(status, headers)
    return [body]

server = create_server(app, host="127.0.0.1", port={port}, threads={threads})
print("ready", flush=True)
server.run()
"""

#: wrk runs per URL and server, alternating between the two servers
ROUNDS = 3
#: headers the bare app does not repeat (Waitress writes its own)
HOP_HEADERS = {"connection", "date", "server", "transfer-encoding"}


def fetch(url: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body our server answers for `url` (a 404 included)."""
    try:
        with urllib.request.urlopen(url) as resp:
            return f"{resp.status} {resp.reason}", list(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return f"{err.code} {err.reason}", list(err.headers.items()), err.read()


def start_bare(answers: list, tmp: Path, port: int, threads: int) -> subprocess.Popen:
    """The bare Waitress app over `answers` [(path, status, headers, body)], ready to serve."""
    table = []
    for i, (path, status, headers, body) in enumerate(answers):
        body_file = tmp / f"body{i}"
        body_file.write_bytes(body)
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
        table.append((path, status, kept, str(body_file)))
    (tmp / "table.json").write_text(json.dumps(table))
    code = BARE.format(table=str(tmp / "table.json"), port=port, threads=threads)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
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


def main() -> None:
    args = parse_options(__doc__.splitlines()[0], connections=16, wrk_threads=2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    db = args.db or tmp / "marts.duckdb"
    if (seconds := ensure(db)) is not None:
        print(f"synthesised {db} in {seconds:.1f} s")
    classes = url_classes(db)
    ours_port, bare_port = free_port(), free_port()
    ours = start_server(db, ours_port, args.server_threads, production=True)
    bare = None
    try:
        prefix = "/packages/stats/"
        answers = []
        for _label, path in classes:  # the first request renders; the second is the cached one
            fetch(f"http://127.0.0.1:{ours_port}{prefix}{path}")
            answers.append((prefix + path, *fetch(f"http://127.0.0.1:{ours_port}{prefix}{path}")))
        bare = start_bare(answers, tmp, bare_port, args.server_threads)
        rows = []
        for (label, path), answer in zip(classes, answers, strict=True):
            runs: dict[str, list] = {"ours": [], "bare": []}
            for i in range(ROUNDS):  # alternate who goes first: the machine's load drifts
                order = (("ours", ours_port), ("bare", bare_port))
                for name, port in order if i % 2 == 0 else order[::-1]:
                    runs[name].append(
                        run_wrk(
                            f"http://127.0.0.1:{port}{prefix}{path}",
                            args.duration,
                            args.connections,
                            args.wrk_threads,
                            allow_errors=label == "404",
                        )
                    )
            o, b = (median_run(runs[name]) for name in ("ours", "bare"))
            ratio = statistics.median(
                x.requests_per_s / y.requests_per_s
                for x, y in zip(runs["ours"], runs["bare"], strict=True)
            )
            rows.append((label, len(answer[3]), o, b, ratio))
            print(
                f"{label:20s} ours {o.requests_per_s:8,.0f}/s  bare "
                f"{b.requests_per_s:8,.0f}/s  ours/bare {ratio:.2f}",
                flush=True,
            )
        print()
        print(
            f"{ROUNDS} rounds of wrk -t{args.wrk_threads} -c{args.connections} "
            f"-d{args.duration}s --latency; "
            f"Waitress {args.server_threads} threads each; {os.cpu_count()} CPUs; "
            f"load average before: {os.getloadavg()[0]:.1f}"
        )
        print("| URL | bytes | ours req/s | ours p99 (ms) | bare req/s | bare p99 (ms) | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, size, o, b, ratio in rows:
            print(
                f"| {label} | {size:,} | {o.requests_per_s:,.0f} | {o.p99_ms:.2f} | "
                f"{b.requests_per_s:,.0f} | {b.p99_ms:.2f} | {ratio:.2f} |"
            )
    finally:
        stop_server(ours, timeout=30)
        if bare is not None:
            stop_server(bare, timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
