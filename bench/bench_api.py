"""Requests/s and p99 latency of every JSON API endpoint, measured with wrk against Waitress.

The warehouse is synthesised straight into a DuckDB file at a realistic size by
`bench/marts.py` (3,700 packages, monthly/yearly `stats` from a random year 2009-2025, two
years of `hourly_downloads`, two weeks of per-download rows for the local-hour endpoint);
generating the full 15 years of hourly rows would take far longer than the API cost it
measures, and no endpoint reads more than 18 months of them at once.

Each endpoint is measured twice: `first` is one cold request (nothing memoised: the query
runs), then wrk hammers the same URL (served from the per-build cache). `point (cold)` uses a
wrk Lua script that asks for a random package and a random period on every request, so most
requests miss the cache and run their query.

    python bench/bench_api.py [--duration 10] [--connections 32] [--db /tmp/api-bench.duckdb]
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from loadgen import (
    first_request_ms,
    free_port,
    parse_options,
    run_wrk,
    start_server,
    stop_server,
    timed_get,
)
from marts import N_PACKAGES, PREFIXES, VALID_THRU, ensure, package_name, table_sizes

PROBE = package_name(7)  # among the most downloaded

COLD_POINT_LUA = """
math.randomseed(42)
local prefixes = {{{prefixes}}}
request = function()
  local i = math.random(0, {n} - 1)
  local p = prefixes[1 + i % #prefixes] .. string.format("%04d", i)
  local d = math.random(1, 28)
  local m = math.random(1, 12)
  local path = string.format("/api/downloads/point/2024-%02d-%02d:2025-06-%02d/%s", m, d, d, p)
  return wrk.format("GET", path)
end
"""


def endpoints() -> list[tuple[str, str]]:
    bulk = ",".join(package_name(i) for i in range(0, N_PACKAGES, 29))  # 128 names
    day = VALID_THRU - dt.timedelta(days=3)
    return [
        ("get_data by category", "/api/get_data?model=downloads&group_by=category"),
        (
            "get_data package x type, per month",
            "/api/get_data?model=downloads&group_by=package&second_group_by=download_type"
            "&time_group=month",
        ),
        ("get_global_sum per day", "/api/get_global_sum?model=downloads&time_group=day"),
        ("get_global_sum per hour", "/api/get_global_sum?model=downloads&time_group=hour"),
        (
            "get_daily_downloads (New York)",
            f"/api/get_daily_downloads?timezone=America/New_York&date={day}",
        ),
        ("point last-month", f"/api/downloads/point/last-month/{PROBE}"),
        ("point calendar year (with IPs)", f"/api/downloads/point/2024-01-01:2024-12-31/{PROBE}"),
        ("range last-year", f"/api/downloads/range/last-year/{PROBE}"),
        (
            f"bulk point last-week ({bulk.count(',') + 1} names)",
            f"/api/downloads/point/last-week/{bulk}",
        ),
        ("top last-month 100", "/api/top/last-month/100"),
        ("top last-year 500 bioc", "/api/top/last-year/500?category=bioc"),
    ]


def main() -> None:
    args = parse_options(
        __doc__.splitlines()[0], connections=32, wrk_threads=4, wrk_threads_flag="--threads"
    )
    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    db = args.db or tmp / "warehouse.duckdb"
    if (seconds := ensure(db)) is not None:
        sizes = table_sizes(db, ("hourly_downloads", "stats", "minute_downloads", "packages"))
        print(f"synthesised {db} in {seconds:.0f} s: {sizes}")
    port = free_port()
    server = start_server(db, port, args.server_threads, production=False)
    base = f"http://127.0.0.1:{port}"
    print(
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s --latency, "
        f"Waitress threads={args.server_threads}, {os.cpu_count()} CPUs"
    )
    print("| endpoint | first request (ms) | requests/s | p99 (ms) |")
    print("|---|---:|---:|---:|")
    try:
        timed_get(base + "/api/openapi.json")  # the app answers; no endpoint has run yet
        for name, path in endpoints():
            first = first_request_ms(base + path)
            rps, _, p99 = run_wrk(base + path, args.duration, args.connections, args.wrk_threads)
            print(f"| {name} | {first:.0f} | {rps:,.0f} | {p99:.1f} |", flush=True)
        script = tmp / "cold.lua"
        prefixes = ", ".join(f'"{p}"' for p in PREFIXES)
        script.write_text(COLD_POINT_LUA.format(n=N_PACKAGES, prefixes=prefixes))
        rps, _, p99 = run_wrk(
            base + "/", args.duration, args.connections, args.wrk_threads, script=script
        )
        print(
            f"| point, random package and period (mostly uncached) | - | {rps:,.0f} | {p99:.1f} |"
        )
    finally:
        stop_server(server, timeout=10)
        if args.db is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
