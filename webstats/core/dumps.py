"""The bulk dump's Parquet copy, converted from its gzip CSV with DuckDB.

The site writes `daily_package_downloads.csv.gz` itself (renderer/dumps.py) and derives the
Parquet file from that CSV, so the two always hold the same rows in the same order. The
conversion runs in a private in-memory DuckDB (never a warehouse connection: the site's own
connections may not touch files), on one thread so that the file's bytes depend only on
its rows.
"""

from __future__ import annotations

from pathlib import Path

#: the dump's columns and their types, in file order (docs/api.md, "Dumps")
DUMP_COLUMNS = (
    ("day", "DATE"),
    ("category", "VARCHAR"),
    ("package", "VARCHAR"),
    ("downloads", "INTEGER"),
    ("distinct_ips", "INTEGER"),
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_to_parquet(csv_path: Path, parquet_path: Path) -> None:
    """Write the rows of the dump's gzip CSV at `csv_path` as Parquet at `parquet_path`."""
    import duckdb  # imported on use: keeps `webstats --help` fast

    columns = "{" + ", ".join(f"{_literal(n)}: {_literal(t)}" for n, t in DUMP_COLUMNS) + "}"
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(
            f"copy (select * from read_csv({_literal(str(csv_path))}, header = true, "
            f"columns = {columns}, compression = 'gzip')) "
            f"to {_literal(str(parquet_path))} (format parquet, compression zstd)"
        )
    finally:
        con.close()
