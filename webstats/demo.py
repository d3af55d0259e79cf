"""`webstats demo`: synthetic logs -> load -> dbt build, so a fresh checkout has something to show.

The logs end on a fixed date (not "today"), so a seed always gives the same files, the same
file names and the same numbers; running the demo twice loads nothing the second time (the
loader's ledger knows the files by content hash) and the build is an incremental no-op.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from .config import Settings
from .synthetic import GroundTruth, Plan, generate, read_manifest

END_DATE = date(2025, 11, 30)  # last day of demo logs; Bioconductor 3.22 is the release then
LINES_PER_DAY = 1250
FILES_PER_DAY = 6
OLD_HEADER_SHARE = 0.25  # the oldest quarter of the days uses the older 24-field header


def demo_plan(days: int, seed: int, end: date = END_DATE) -> Plan:
    """The demo's plan: `days` days ending on `end`, about 1250 lines a day."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    start = end - timedelta(days=days - 1)
    return Plan(
        start=start,
        days=days,
        lines=days * LINES_PER_DAY,
        seed=seed,
        files_per_day=FILES_PER_DAY,
        old_header_before=start + timedelta(days=int(days * OLD_HEADER_SHARE)),
        noisy=True,
    )


def generate_demo_logs(settings: Settings, out_dir: Path, days: int, seed: int) -> GroundTruth:
    """Write the demo logs for the repository's manifest seed; return what was written."""
    packages = read_manifest(settings.project_dir / "seeds" / "packages.csv")
    return generate(demo_plan(days, seed), packages, Path(out_dir))


def run_demo(settings: Settings, out_dir: Path, days: int = 120, seed: int = 2024) -> GroundTruth:
    """Generate, load and build the demo warehouse; print a short summary."""
    from .dbt import build
    from .loader import load_paths

    started = time.monotonic()
    truth = generate_demo_logs(settings, out_dir, days, seed)
    print(
        f"demo: {len(truth.files)} log files, {truth.lines} lines "
        f"({truth.total_downloads} downloads) in {out_dir} "
        f"[{time.monotonic() - started:.1f} s]",
        flush=True,
    )
    summary = load_paths(settings, truth.files)
    for problem in summary.problems:
        print(f"demo: load problem: {problem}")
    print(f"demo: load: {summary.text()}", flush=True)
    step = time.monotonic()
    build(settings, quiet=True)
    print(f"demo: dbt build on {settings.target} [{time.monotonic() - step:.1f} s]")
    for line in _mart_summary(settings):
        print(f"demo: {line}")
    print(f"demo: done in {time.monotonic() - started:.1f} s", flush=True)
    return truth


def _mart_summary(settings: Settings) -> list[str]:
    """Downloads per category and where the warehouse is, read back from the marts."""
    where = (
        f"DuckDB file {settings.duckdb_path}"
        if settings.target == "duckdb"
        else f"schema {settings.pg_schema} on {settings.target}"
    )
    if settings.target != "duckdb":
        return [f"warehouse: {where}"]
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select category, sum(download_count) from categorystats where is_monthly "
            "group by category order by category"
        ).fetchall()
        (valid_thru,) = con.execute("select valid_thru from webstats_info").fetchone()
    per_category = ", ".join(f"{c} {n}" for c, n in rows)
    return [f"downloads: {per_category} (valid thru {valid_thru})", f"warehouse: {where}"]
