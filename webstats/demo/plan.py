"""The demo's logs: what `webstats demo` generates, so a fresh checkout has something to show.

The logs end on a fixed date (not "today"), so a seed always gives the same files, the same
file names and the same numbers; running the demo twice loads nothing the second time (the
loader's ledger knows the files by content hash) and the build is an incremental no-op.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from .generator import GroundTruth, Plan, generate, read_manifest

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


def generate_demo_logs(manifest: Path, out_dir: Path, days: int, seed: int) -> GroundTruth:
    """Write the demo logs for the packages of `manifest` (the project's manifest in force);
    return what was written."""
    packages = read_manifest(manifest)
    return generate(demo_plan(days, seed), packages, Path(out_dir))
