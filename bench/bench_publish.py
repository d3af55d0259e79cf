"""What publishing the DuckDB site file costs: bytes and seconds per build, at realistic size.

Each DuckDB build ends by copying the tables the site reads into `<warehouse>.site.duckdb`
and renaming it in (webstats/core/site_file.py), so that builds run while the site is
served. This measures that copy on the marts `bench/marts.py` synthesises (3,700 packages,
~370,000 `stats` rows, two years of `hourly_downloads`, ~6 M rows, two weeks of
`minute_downloads`), and on a built demo warehouse when one is given: the size of each
table, the published file, the warehouse, and the seconds of `publish` (best of N).

    python bench/bench_publish.py [--db FILE] [--demo WAREHOUSE] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from marts import ensure

from webstats.core.site_file import SITE_TABLES, publish, site_path


def measure(db: Path, runs: int) -> None:
    """Print the rows per served table, the file sizes and the best publish time of `db`."""
    con = duckdb.connect(str(db))
    try:
        rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in SITE_TABLES}
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            done = publish(con)
            times.append(time.perf_counter() - started)
    finally:
        con.close()
    print(f"{db}: {db.stat().st_size / 1e6:.1f} MB warehouse")
    print("| table | rows |\n|---|---:|")
    for table, n in rows.items():
        print(f"| {table} | {n:,} |")
    print(
        f"site file {site_path(db).name}: {done['bytes'] / 1e6:.1f} MB; publish best of {runs}: "
        f"{min(times):.2f} s (all: {', '.join(f'{t:.2f}' for t in times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="synthesised marts (made when missing)")
    parser.add_argument("--demo", type=Path, help="a built warehouse (e.g. the demo's)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="bench-publish-")) / "marts.duckdb"
    if (seconds := ensure(db)) is not None:
        print(f"synthesised {db} in {seconds:.0f} s")
    measure(db, args.runs)
    if args.demo:
        measure(args.demo, args.runs)


if __name__ == "__main__":
    main()
