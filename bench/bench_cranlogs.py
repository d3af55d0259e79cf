"""What one bulk cranlogs-compatible request costs: POST with 128, 1,000 and 5,000 names.

Serves the marts synthesised by `bench/marts.py` (3,700 packages, two years of
`hourly_downloads`) with Waitress in a subprocess and times single requests (each is a cold
query: POST answers are not memoised), the median of `--repeat` runs, with the answer's size.
It is the bound a client can ask for in one request, so this is the worst cost per request.

    python bench/bench_cranlogs.py [--repeat 5] [--db /tmp/api-bench.duckdb]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from loadgen import free_port, start_server, stop_server, timed_get
from marts import N_PACKAGES, ensure, package_name


def post_ms(url: str, names: list[str]) -> tuple[float, int]:
    body = json.dumps({"packages": names}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as resp:
        size = len(resp.read())
    return (time.perf_counter() - t0) * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cran-bench-"))
    db = args.db or tmp / "warehouse.duckdb"
    ensure(db)
    port = free_port()
    server = start_server(db, port, 4, production=False)
    base = f"http://127.0.0.1:{port}/api/downloads"
    print("| request | names | median ms | answer bytes |")
    print("|---|---:|---:|---:|")
    try:
        timed_get(f"http://127.0.0.1:{port}/api/openapi.json")
        for n in (128, 1000, 5000):
            names = [package_name(i % N_PACKAGES) for i in range(n)]
            if n > N_PACKAGES:  # the rest: names no manifest knows (zeros, as cranlogs)
                names = [*names[:N_PACKAGES], *(f"unknown{i}" for i in range(n - N_PACKAGES))]
            for kind in ("total/last-month", "daily/last-month"):
                runs = [post_ms(f"{base}/{kind}", names) for _ in range(args.repeat)]
                ms = statistics.median(r[0] for r in runs)
                print(f"| POST {kind} | {n:,} | {ms:,.0f} | {runs[0][1]:,} |", flush=True)
    finally:
        stop_server(server, timeout=10)
        if args.db is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
