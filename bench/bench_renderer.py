"""Requests/s, p50/p99 latency and memory of the legacy site under wrk, at realistic size.

The marts the renderer reads (categories, stats, categorystats, package_scores,
webstats_info) are synthesised straight into a DuckDB file by `bench/marts.py`: 3,700
packages split over the four categories roughly as Bioconductor is (2,300 software, 950
annotation, 420 experiment, 30 workflows), each active from a random year between 2009 and
2025 up to the as-of day, with downloads in most months; that makes `bioc_pkg_stats.tab` a
few MB, as in production.

The server is `renderer.serve.make_server` (Waitress) in a subprocess; wrk runs on the same
machine (the goals assume 2 cores shared by both). For each URL: one cold request (rendered
from the database), then wrk on the same URL (the per-build cache). Also measured: the first
request of 30 package pages never asked for before, and the server's RSS (current and peak).

    python bench/bench_renderer.py [--duration 10] [--connections 16] [--db FILE]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import urllib.error
from pathlib import Path

import duckdb
from loadgen import free_port, parse_options, rss_mb, run_wrk, start_server, stop_server, timed_get
from marts import ensure, table_sizes


def main() -> None:
    args = parse_options(__doc__.splitlines()[0], connections=16, wrk_threads=2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-renderer-"))
    db = args.db or tmp / "marts.duckdb"
    if (seconds := ensure(db)) is not None:
        print(f"synthesised {db} in {seconds:.1f} s")
    counts = table_sizes(db, ("stats", "package_scores"))
    con = duckdb.connect(str(db), read_only=True)
    pkgs = [
        r[0]
        for r in con.execute(
            "select package from package_scores where category = 'bioc' order by rank limit 200"
        ).fetchall()
    ]
    some_year = con.execute(
        "select year(max(date)) from stats where package = ? and not is_monthly", [pkgs[0]]
    ).fetchone()[0]
    con.close()
    print(f"stats rows: {counts['stats']:,}; packages: {counts['package_scores']:,}")

    port = free_port()
    server = start_server(db, port, args.server_threads, production=True)
    try:
        base = f"http://127.0.0.1:{port}/packages/stats/"
        print(f"server pid {server.pid}; start RSS {rss_mb(server.pid)[0]:.0f} MB")

        cold = [timed_get(f"{base}bioc/{p}/")[0] for p in pkgs[100:130]]
        print(
            f"first request of 30 package pages: median {statistics.median(cold):.1f} ms, "
            f"max {max(cold):.1f} ms"
        )

        p = pkgs[0]
        urls = [
            ("software index page", ""),
            ("package page", f"bioc/{p}/"),
            ("package .tab", f"bioc/{p}/{p}_stats.tab"),
            ("bioc_pkg_stats.tab", "bioc/bioc_pkg_stats.tab"),
            ("package PNG", f"bioc/{p}/{p}_{some_year}_stats.png"),
            ("404", "bioc/NoSuchPackage/"),
        ]
        rows = []
        for label, path in urls:
            try:
                first, size = timed_get(base + path)
            except urllib.error.HTTPError as err:
                first, size = 0.0, len(err.read())
            rps, p50, p99 = run_wrk(
                base + path,
                args.duration,
                args.connections,
                args.wrk_threads,
                allow_errors=label == "404",
            )
            rows.append((label, size, first, rps, p50, p99))
            print(
                f"{label:22s} {size:>9,} B  first {first:7.1f} ms  {rps:9,.0f} req/s  "
                f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms",
                flush=True,
            )
        cur, peak = rss_mb(server.pid)
        print(f"server RSS after the run: {cur:.0f} MB (peak {peak:.0f} MB)")
        print()
        print(
            f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s --latency; "
            f"Waitress {args.server_threads} threads; {os.cpu_count()} CPUs"
        )
        print("| URL | bytes | first request (ms) | requests/s | p50 (ms) | p99 (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, size, first, rps, p50, p99 in rows:
            print(f"| {label} | {size:,} | {first:.1f} | {rps:,.0f} | {p50:.2f} | {p99:.2f} |")
    finally:
        stop_server(server, timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
