"""Requests/s and p99 latency of every JSON API endpoint, measured with wrk against Waitress.

The warehouse is synthesised straight into a DuckDB file at a realistic size (3,700 packages,
15 years of monthly `stats`, two years of `hourly_downloads`, two weeks of per-download rows for
the local-hour endpoint); generating the full 15 years of hourly rows would take far longer
than the API cost it measures, and no endpoint reads more than 18 months of them at once.

Each endpoint is measured twice: `first` is one cold request (nothing memoised: the query
runs), then wrk hammers the same URL (served from the per-build cache). `point (cold)` uses a
wrk Lua script that asks for a random package and a random period on every request, so most
requests miss the cache and run their query.

    python bench/bench_api.py [--duration 10] [--connections 32] [--db /tmp/api-bench.duckdb]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
VALID_THRU = dt.date(2025, 6, 30)
N_PACKAGES = 3700
HOURLY_ROWS = 6_000_000
DAILY_DOWNLOADS = 150_000
DOWNLOAD_DAYS = 14

SERVER = """
import logging
import sys
from pathlib import Path
import waitress
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # wrk overfills it on purpose
sys.path.insert(0, {root!r})
from renderer import create_app
from webstats.config import PROJECT_DIR, Settings
settings = Settings("duckdb", Path({db!r}), "webstats", PROJECT_DIR, "https://bioconductor.org")
waitress.serve(create_app(settings), host="127.0.0.1", port={port}, threads={threads},
               _quiet=True)
"""

COLD_POINT_LUA = """
math.randomseed(42)
request = function()
  local p = string.format("Pkg%04d", math.random(0, {n} - 1))
  local d = math.random(1, 28)
  local m = math.random(1, 12)
  local path = string.format("/api/downloads/point/2024-%02d-%02d:2025-06-%02d/%s", m, d, d, p)
  return wrk.format("GET", path)
end
"""


def synthesise(db: Path) -> None:
    """Write the contract tables (docs/warehouse.md) with realistic sizes into `db`."""
    con = duckdb.connect(str(db))
    start_hour = dt.datetime.combine(VALID_THRU - dt.timedelta(days=729), dt.time())
    first_day = VALID_THRU - dt.timedelta(days=DOWNLOAD_DAYS - 1)
    con.execute("select setseed(0.42)")
    con.execute(f"""
        create table packages as
        select 'Pkg' || lpad(i::varchar, 4, '0') as package,
               case when i < 2300 then 'bioc' when i < 3300 then 'annotation'
                    when i < 3670 then 'experiment' else 'workflows' end as category,
               '3.0' as first_version, '' as last_version
        from range({N_PACKAGES}) t(i)
    """)
    con.execute(f"""
        create table categories as select * from read_csv('{ROOT / "seeds/categories.csv"}')
    """)
    # popularity is skewed: package i is drawn with probability ~ 1/sqrt(i)
    con.execute(f"""
        create table hourly_downloads as
        select timestamp '{start_hour}' + to_hours((i * 17520 // {HOURLY_ROWS})::bigint)
                   as hour_at,
               p.category, p.package,
               ['3.19', '3.20', '3.21', 'release', 'devel'][1 + (i % 5)] as bioc_version,
               ['source', 'win.binary', 'mac.binary', 'other'][1 + ((i // 5) % 4)]
                   as download_type,
               sum(1 + (i % 7))::bigint as downloads
        from (select i, floor({N_PACKAGES} * pow(random(), 2))::bigint as k
              from range({HOURLY_ROWS}) t(i)) h
        join (select package, category, row_number() over (order by package) - 1 as k
              from packages) p using (k)
        group by all
        order by hour_at
    """)
    con.execute("""
        create table stats as
        with months as (
          select p.category, p.package, m.date::date as date,
                 (hash(p.package, m.date) % 900)::bigint as download_count
          from packages p,
               range(date '2010-01-01', date '2025-07-01', interval 1 month) m(date)
        )
        select category, package, date, true as is_monthly,
               (download_count // 3)::bigint as ip_count, download_count from months
        union all
        select category, package, make_date(year(date), 12, 31), false,
               (sum(download_count) // 5)::bigint, sum(download_count)::bigint
        from months group by all
    """)
    con.execute(f"""
        create table downloads as
        select ts as request_at, ts::date as request_date, hour(ts) as request_hour,
               md5((i % 20000)::varchar) as ip_hash, 200 as status,
               p.category, p.package, '1.0' as package_version, '3.21' as bioc_version,
               'source' as download_type, 'IAD89-P1' as edge_location, 1 as file_id
        from (select i, timestamp '{first_day}' +
                     to_seconds((random() * 86400 * {DOWNLOAD_DAYS})::bigint) as ts,
                     floor({N_PACKAGES} * pow(random(), 2))::bigint as k
              from range({DAILY_DOWNLOADS * DOWNLOAD_DAYS}) t(i)) d
        join (select package, category, row_number() over (order by package) - 1 as k
              from packages) p using (k)
        order by request_at
    """)
    con.execute(f"""
        create table webstats_info as
        select date '{VALID_THRU}' as valid_thru, date '{VALID_THRU + dt.timedelta(days=1)}'
               as as_of_date, now()::timestamp as built_at, '3.21' as bioc_release,
               '3.22' as bioc_devel
    """)
    con.close()


def table_sizes(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    names = ("hourly_downloads", "stats", "downloads", "packages")
    sizes = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in names}
    con.close()
    return sizes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, threads: int) -> subprocess.Popen:
    code = SERVER.format(root=str(ROOT), db=str(db), port=port, threads=threads)
    proc = subprocess.Popen([sys.executable, "-c", code])
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("waitress did not start")


def first_request_ms(url: str) -> float:
    """One cold request: the query runs and the answer is memoised."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as resp:
        resp.read()
        assert resp.status == 200, url
    return (time.perf_counter() - t0) * 1000


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url: str, args, script: Path | None = None) -> tuple[float, float]:
    """Requests/s and p99 latency (ms) of wrk against `url`."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    return rps, p99


def endpoints() -> list[tuple[str, str]]:
    bulk = ",".join(f"Pkg{i:04d}" for i in range(0, N_PACKAGES, 29))  # 128 names
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
        ("point last-month", "/api/downloads/point/last-month/Pkg0007"),
        ("point calendar year (with IPs)", "/api/downloads/point/2024-01-01:2024-12-31/Pkg0007"),
        ("range last-year", "/api/downloads/range/last-year/Pkg0007"),
        (
            f"bulk point last-week ({bulk.count(',') + 1} names)",
            f"/api/downloads/point/last-week/{bulk}",
        ),
        ("top last-month 100", "/api/top/last-month/100"),
        ("top last-year 500 bioc", "/api/top/last-year/500?category=bioc"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="reuse or create this DuckDB file")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-threads", type=int, default=8, help="Waitress threads")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")

    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    db = args.db or tmp / "warehouse.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        synthesise(db)
        print(f"synthesised {db} in {time.perf_counter() - t0:.0f} s: {table_sizes(db)}")
    port = free_port()
    server = start_server(db, port, args.server_threads)
    base = f"http://127.0.0.1:{port}"
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, "
        f"Waitress threads={args.server_threads}, {os.cpu_count()} CPUs"
    )
    print("| endpoint | first request (ms) | requests/s | p99 (ms) |")
    print("|---|---:|---:|---:|")
    try:
        for name, path in endpoints():
            first = first_request_ms(base + path)
            rps, p99 = run_wrk(base + path, args)
            print(f"| {name} | {first:.0f} | {rps:,.0f} | {p99:.1f} |", flush=True)
        script = tmp / "cold.lua"
        script.write_text(COLD_POINT_LUA.format(n=N_PACKAGES))
        rps, p99 = run_wrk(base + "/", args, script)
        print(
            f"| point, random package and period (mostly uncached) | - | {rps:,.0f} | {p99:.1f} |"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        if args.db is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
