"""Seconds of the Athena night's `publish` step: Parquet rows into the DuckDB file the site reads.

On Athena the nightly job unloads the served tables' changed rows to Parquet and publishes
them into a DuckDB file (webstats/jobs/publish.py): a copy of the file gets the changes and
is renamed over it. This measures that step at realistic size, without S3 (the transfer
depends on the network, not on this code): the marts of `bench/marts.py` (3,700 packages,
~350,000 `stats` rows, 6 M hourly draws over two years, 14 days of 150,000 downloads) are
written as Parquet, as UNLOAD writes them, then

- the first publication: every table whole, into no file;
- a night: one day of downloads appended (150,000 rows), the month's and year's `stats` and
  `categorystats` rows upserted by key, a day of `hourly_downloads` upserted, the small
  tables replaced; the copy of the whole published file is part of it.

    python bench/bench_athena_publish.py [--db FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from marts import ensure

from webstats.jobs.athena import EXPORTS
from webstats.jobs.publish import TableChange, publish

#: a night's changed rows of each table (the marts of bench/marts.py end on 2025-06-30)
NIGHT = {
    "downloads": "request_date = date '2025-06-30'",
    "hourly_downloads": "hour_at >= timestamp '2025-06-30'",
    "stats": "date in (date '2025-06-01', date '2025-12-31')",
    "categorystats": "date in (date '2025-06-01', date '2025-12-31')",
}
WATERMARKS = {
    "stats": "1 as source_file_id, 1 as ips_batch_file_id",
    "categorystats": "1 as source_file_id, 1 as ips_batch_file_id",
    "hourly_downloads": "1 as source_file_id",
}


def unload(db: Path, out: Path, night: bool) -> dict[str, list[Path]]:
    """Each exported table's rows (all, or a night's) as a Parquet file under `out`."""
    files = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for e in EXPORTS:
            if e.table not in {r[0] for r in con.execute("show tables").fetchall()}:
                files[e.table] = []
                continue
            extra = WATERMARKS.get(e.table)
            cols = "*" + (f", {extra}" if extra else "")
            where = NIGHT.get(e.table, "true") if night else "true"
            path = out / f"{e.table}-{'night' if night else 'all'}.parquet"
            con.execute(f"copy (select {cols} from {e.table} where {where}) to '{path}'")
            files[e.table] = [path]
    return files


def _count(files: list[Path]) -> int:
    sql = "select count(*) from read_parquet(?)"
    return duckdb.execute(sql, [[str(f) for f in files]]).fetchone()[0] if files else 0


def changes(files: dict[str, list[Path]], full: bool) -> list[TableChange]:
    return [
        TableChange(e.table, files[e.table], "replace")
        if full
        else TableChange(e.table, files[e.table], e.mode, e.keys)
        for e in EXPORTS
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_db = Path(tempfile.gettempdir()) / "bench-marts.duckdb"
    parser.add_argument("--db", type=Path, default=default_db)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    made = ensure(args.db)
    if made is not None:
        print(f"synthesised {args.db} in {made:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        whole, night = unload(args.db, out, night=False), unload(args.db, out, night=True)
        rows = {t: _count(f) for t, f in night.items() if t in NIGHT}
        published = out / "published.duckdb"
        t0 = time.perf_counter()
        publish(published, changes(whole, full=True))
        first = time.perf_counter() - t0
        size = published.stat().st_size / 1e6
        print(f"first publication (every table whole): {first:.2f} s, file {size:.0f} MB")
        seconds = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            publish(published, changes(night, full=False))
            seconds.append(time.perf_counter() - t0)
        runs = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"a night ({rows}): median {statistics.median(seconds):.2f} s (runs: {runs})")


if __name__ == "__main__":
    main()
