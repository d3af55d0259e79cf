"""`webstats demo`: synthetic logs -> load -> dbt build (-> serve), on a fresh checkout.

The command composes the layers: the generator (webstats.demo), the loader
(webstats.ingest), the dbt runner (webstats.jobs) and, with --serve, the site.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from webstats.core.settings import Settings
from webstats.core.warehouse import connect, location
from webstats.jobs.dbt import build

from .common import UsageError, not_a_file, positive
from .site import add_serve_options, cmd_serve


def run_demo(settings: Settings, out_dir: Path, days: int = 120, seed: int = 2024):
    """Generate, load and build the demo warehouse; print a short summary; return the
    generator's ground truth."""
    # on use: keeps `webstats --help` fast
    from webstats.demo.plan import generate_demo_logs
    from webstats.ingest.loader import load_paths

    started = time.monotonic()
    truth = generate_demo_logs(settings.manifest_file, out_dir, days, seed)
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
    with connect(settings, read_only=True) as con:
        rows = con.execute(
            "select category, sum(download_count) from categorystats where is_monthly "
            "group by category order by category"
        ).fetchall()
        (valid_thru,) = con.execute("select valid_thru from webstats_info").fetchone()
    per_category = ", ".join(f"{c} {n}" for c, n in rows)
    return [
        f"downloads: {per_category} (valid thru {valid_thru})",
        f"warehouse: {settings.target} {location(settings)}",
    ]


def check_demo(args: argparse.Namespace, cfg: Settings) -> None:
    if cfg.target == "athena":
        raise UsageError("the demo loads its logs: run it on duckdb or postgres")


def cmd_demo(args: argparse.Namespace, cfg: Settings) -> int:
    out = args.out or cfg.state_dir / "demo-logs"
    run_demo(cfg, out, days=args.days, seed=args.seed)
    if args.serve:
        return cmd_serve(args, cfg)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add demo."""
    p = sub.add_parser(
        "demo", parents=[common], help="generate demo logs, load and build them (then serve)"
    )
    p.add_argument(
        "--out",
        type=not_a_file,
        help="directory for the generated logs (default: demo-logs/ in the project, or in "
        "$WEBSTATS_HOME for the packaged project)",
    )
    p.add_argument("--days", type=positive, default=120, help="days of logs (default 120)")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--serve", action="store_true", help="then serve the site")
    add_serve_options(p)
    p.set_defaults(handler=cmd_demo, check=check_demo)
