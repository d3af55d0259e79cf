"""Hostile API clients against page views (issue 15): the worst requests the API allows,
and package-page latency while 8 connections send worst-case API requests without pause.

On the benchmark marts (`bench/marts.py`: 3,700 packages, two years of hourly rows), with
the server as `webstats serve` runs it (`renderer.serve.make_server`, 8 Waitress threads):

1. each worst allowed request once, cold (its SQL runs): time and body size; and the
   issue's 8,000-year request, now refused;
2. wrk on 200 package pages (`/packages/stats/bioc/<pkg>/`, a Lua script rotating them)
   alone, then the same while a second wrk keeps 8 connections busy with worst-case API
   requests, each for a different period (128 packages, 18-month ranges and 30-year
   points), so every one misses the answer cache. Reported: the pages' p50/p99, and how
   the API requests were answered (200 or 503 Retry-After for those over the compute slots).

    python bench/bench_hostile.py [--duration 15] [--connections 4] [--db FILE]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
from pathlib import Path

import duckdb
from loadgen import free_port, parse_options, rss_mb, run_wrk, start_server, stop_server, timed_get
from marts import N_PACKAGES, ensure, package_name

NAMES = ",".join(package_name(i) for i in range(0, N_PACKAGES, 29))  # 128 names

PAGES_LUA = """
local pages = {{{pages}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/packages/stats/bioc/" .. pages[1 + i % #pages] .. "/")
end
"""

# Every request a different period, so none is answered from the cache: ranges of 18 months
# (the longest allowed) starting on a random day of 2023-2024, and 30-year points.
API_LUA = """
math.randomseed(15)
local names = "{names}"
local n = 0
request = function()
  n = n + 1
  local y = math.random(2023, 2024)
  local m = math.random(1, 6)
  local d = math.random(1, 28)
  local path
  if n % 2 == 0 then
    path = string.format("/api/downloads/range/%d-%02d-%02d:%d-%02d-%02d/%s",
                         y, m, d, y + 1, m + 5, d, names)
  else
    path = string.format("/api/downloads/point/%d-%02d-01:%d-%02d-%02d/%s",
                         1996 + (n % 29), m, 2025, m, 28, names)
  end
  return wrk.format("GET", path)
end
"""


def worst_cases(base: str) -> None:
    """Each worst allowed request once, cold; then the refused ones."""
    print("| request | status | ms | body bytes |")
    print("|---|---:|---:|---:|")
    cases = [
        ("point, 30 years (360 months), 128 packages", f"point/1995-07-01:2025-06-30/{NAMES}"),
        ("range, 18 months (548 days), 128 packages", f"range/2024-01-01:2025-06-30/{NAMES}"),
        ("top 500, 30 years", None),
        (
            "point 1970-01-01:9998-12-31, 128 packages (the issue's)",
            f"point/1970-01-01:9998-12-31/{NAMES}",
        ),
        ("range 9998-12-01:9998-12-31 (was a 500)", "range/9998-12-01:9998-12-31/DEP"),
    ]
    for name, path in cases:
        url = base + (
            "/api/top/1995-07-01:2025-06-30/500" if path is None else f"/api/downloads/{path}"
        )
        try:
            ms, size = timed_get(url)
            status = 200
        except urllib.error.HTTPError as exc:
            ms, size, status = 0.0, len(exc.read()), exc.code
        print(f"| {name} | {status} | {ms:.0f} | {size:,} |", flush=True)


def main() -> None:
    args = parse_options(__doc__.splitlines()[0], connections=4, wrk_threads=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    db = args.db or tmp / "marts.duckdb"
    if (seconds := ensure(db)) is not None:
        print(f"synthesised {db} in {seconds:.0f} s")
    with duckdb.connect(str(db), read_only=True) as con:
        pkgs = [
            r[0]
            for r in con.execute(
                "select package from package_scores where category = 'bioc' order by rank limit 200"
            ).fetchall()
        ]
    pages = tmp / "pages.lua"
    pages.write_text(PAGES_LUA.format(pages=", ".join(f'"{p}"' for p in pkgs)))
    api = tmp / "api.lua"
    api.write_text(API_LUA.format(names=NAMES))
    port = free_port()
    server = start_server(db, port, args.server_threads, production=True)
    base = f"http://127.0.0.1:{port}"
    print(f"Waitress threads={args.server_threads}, {os.cpu_count()} CPUs")
    try:
        worst_cases(base)
        for p in pkgs:  # every page rendered once: page views are cached answers
            timed_get(f"{base}/packages/stats/bioc/{p}/")
        alone = run_wrk(base + "/", args.duration, args.connections, args.wrk_threads, pages)
        with subprocess.Popen(
            ["wrk", "-t2", "-c8", f"-d{args.duration + 2}s", "-s", str(api), base + "/"],
            stdout=subprocess.PIPE,
            text=True,
        ) as api_load:
            loaded = run_wrk(base + "/", args.duration, args.connections, args.wrk_threads, pages)
            out = api_load.communicate()[0]
        total = int(re.search(r"(\d+) requests in", out).group(1))
        busy = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        busy_n = int(busy.group(1)) if busy else 0
        cur, peak = rss_mb(server.pid)
        print()
        print(f"package pages, wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s:")
        print("| load | pages/s | p50 (ms) | p99 (ms) |")
        print("|---|---:|---:|---:|")
        print(
            f"| pages alone | {alone.requests_per_s:,.0f} | {alone.p50_ms:.1f} | "
            f"{alone.p99_ms:.1f} |"
        )
        print(
            f"| + 8 connections of worst-case API requests | {loaded.requests_per_s:,.0f} | "
            f"{loaded.p50_ms:.1f} | {loaded.p99_ms:.1f} |"
        )
        print(
            f"API load: {total} requests, {total - busy_n} answered 200, {busy_n} answered "
            f"503 (compute slots busy); server RSS {cur:.0f} MB (peak {peak:.0f} MB)"
        )
    finally:
        stop_server(server, timeout=10)
        if args.db is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
