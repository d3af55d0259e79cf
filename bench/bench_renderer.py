"""Requests/s, p50/p99 latency and memory of the legacy site under wrk, at realistic size.

The marts the renderer reads (categories, stats, categorystats, package_scores,
webstats_info) are synthesised straight into a DuckDB file: 3,700 packages split over the
four categories roughly as Bioconductor is (2,300 software, 950 annotation, 420 experiment,
30 workflows), each active from a random year between 2009 and 2024 up to the as-of day, with
downloads in most months; that makes `bioc_pkg_stats.tab` about 6 MB, as in production.

The server is `renderer.serve.make_server` (Waitress) in a subprocess; wrk runs on the same
machine (the goals assume 2 cores shared by both). For each URL: one cold request (rendered
from the database), then wrk on the same URL (the per-build cache). Also measured: the first
request of 30 package pages never asked for before, and the server's RSS (current and peak).

    python bench/bench_renderer.py [--duration 10] [--connections 16] [--db FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SPLIT = {"bioc": 2300, "annotation": 950, "experiment": 420, "workflows": 30}
AS_OF = "2024-08-15"

SERVER = """
import logging, sys
from pathlib import Path
sys.path.insert(0, {root!r})
logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # wrk overfills it on purpose
from renderer.serve import make_server
from webstats.config import PROJECT_DIR, Settings
settings = Settings("duckdb", Path({db!r}), "webstats", PROJECT_DIR, "https://bioconductor.org")
server = make_server(settings, "127.0.0.1", {port}, threads={threads})
print("ready", flush=True)
server.run()
"""


def synthesise(db: Path) -> None:
    """The five tables the renderer reads, generated in SQL (a few seconds)."""
    con = duckdb.connect(str(db))
    con.execute("select setseed(0.42)")
    seeds = ROOT / "seeds" / "categories.csv"
    con.execute(f"create table categories as select * from read_csv_auto('{seeds}', header=true)")
    values = ", ".join(f"('{c}', {n})" for c, n in SPLIT.items())
    con.execute(f"""
        create table pkgs as
        with split(category, n) as (values {values}),
        numbered as (
            select s.category, g.i, c.first_year
            from split s, generate_series(1, s.n) g(i), categories c
            where c.category = s.category
        )
        select category,
               -- mixed case, digits and dots, like real names
               case i % 4 when 0 then 'pkg' when 1 then 'Pkg' when 2 then 'BSgenome.X'
                          else 'org.Hs' end || i::varchar || '.' || category as package,
               greatest(first_year, 2009 + (random() * 16)::int) as start_year,
               (random() * 300 + 5)::int as base
        from numbered""")
    con.execute(f"""
        create table stats as
        with months as (
            select p.category, p.package, p.base,
                   m::date as date
            from pkgs p,
                 generate_series(make_date(p.start_year, 1, 1), date '{AS_OF}' - 1,
                                 interval 1 month) t(m)
            where random() < 0.9
        ),
        monthly as (
            select category, package, date, true as is_monthly,
                   (base * (0.5 + random()))::bigint as ip_count,
                   (base * (1.5 + 2 * random()))::bigint as download_count
            from months
        )
        select * from monthly
        union all
        select category, package, make_date(year(date), 12, 31), false,
               (sum(ip_count) * 0.7)::bigint, sum(download_count)
        from monthly group by category, package, year(date)""")
    con.execute("""
        create table categorystats as
        select category, date, is_monthly, (sum(ip_count) * 0.8)::bigint as ip_count,
               sum(download_count) as download_count
        from stats group by category, date, is_monthly""")
    con.execute(f"""
        create table package_scores as
        with s as (
            select p.category, p.package,
                   coalesce(ceil(sum(st.ip_count) / 12.0), 0)::bigint as score
            from pkgs p left join stats st
              on st.category = p.category and st.package = p.package and st.is_monthly
             and st.date >= date '{AS_OF}' - interval 12 month
            group by p.category, p.package
        )
        select category, package, score,
               row_number() over (partition by category
                                  order by score desc, lower(package), package) as rank,
               random() < 0.8 as in_release, random() < 0.85 as in_devel
        from s""")
    con.execute(f"""
        create table webstats_info as
        select date '{AS_OF}' - 1 as valid_thru, date '{AS_OF}' as as_of_date,
               now()::timestamp as built_at, '3.19' as bioc_release, '3.20' as bioc_devel""")
    con.execute("drop table pkgs")
    con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_ms(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as resp:
        size = len(resp.read())
    return (time.perf_counter() - t0) * 1000, size


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, args) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) from `wrk --latency`."""
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s",
           "--latency", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out and not url.endswith("/NoSuchPackage/"):
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    return rps, p50, p99


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of the server in MB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    cur = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return cur, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--db", type=Path, help="reuse (or create) this DuckDB file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")

    tmp = Path(tempfile.mkdtemp(prefix="bench-renderer-"))
    db = args.db or tmp / "marts.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        synthesise(db)
        print(f"synthesised {db} in {time.perf_counter() - t0:.1f} s")
    con = duckdb.connect(str(db), read_only=True)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("stats", "package_scores")}
    pkgs = [r[0] for r in con.execute(
        "select package from package_scores where category = 'bioc' order by rank limit 200"
    ).fetchall()]
    some_year = con.execute(
        "select year(max(date)) from stats where package = ? and not is_monthly", [pkgs[0]]
    ).fetchone()[0]
    con.close()
    print(f"stats rows: {counts['stats']:,}; packages: {counts['package_scores']:,}")

    port = free_port()
    code = SERVER.format(root=str(ROOT), db=str(db), port=port, threads=args.server_threads)
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        base = f"http://127.0.0.1:{port}/packages/stats/"
        print(f"server pid {server.pid}; start RSS {rss_mb(server.pid)[0]:.0f} MB")

        cold = [get_ms(f"{base}bioc/{p}/")[0] for p in pkgs[100:130]]
        print(f"first request of 30 package pages: median {statistics.median(cold):.1f} ms, "
              f"max {max(cold):.1f} ms")

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
                first, size = get_ms(base + path)
            except urllib.error.HTTPError as err:
                first, size = 0.0, len(err.read())
            rps, p50, p99 = run_wrk(base + path, args)
            rows.append((label, size, first, rps, p50, p99))
            print(f"{label:22s} {size:>9,} B  first {first:7.1f} ms  {rps:9,.0f} req/s  "
                  f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms", flush=True)
        cur, peak = rss_mb(server.pid)
        print(f"server RSS after the run: {cur:.0f} MB (peak {peak:.0f} MB)")
        print()
        print(f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s --latency; "
              f"Waitress {args.server_threads} threads; {os.cpu_count()} CPUs")
        print("| URL | bytes | first request (ms) | requests/s | p50 (ms) | p99 (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, size, first, rps, p50, p99 in rows:
            print(f"| {label} | {size:,} | {first:.1f} | {rps:,.0f} | {p50:.2f} | {p99:.2f} |")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
