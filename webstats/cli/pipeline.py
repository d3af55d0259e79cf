"""`webstats load` and `webstats build`: log files into the raw tables, then dbt."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from webstats.core.settings import Settings
from webstats.core.warehouse import writer_lock
from webstats.jobs.dbt import build

from .common import parse_vars


def cmd_load(args: argparse.Namespace, cfg: Settings) -> int:
    from webstats.ingest.loader import load_paths  # on use: keeps `webstats --help` fast

    with writer_lock(cfg):  # a refresh swapping the warehouse would otherwise lose the load
        summary = load_paths(cfg, [Path(p) for p in args.paths])
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(summary.text())
    return 0 if summary.ok else 1


def cmd_build(args: argparse.Namespace, cfg: Settings) -> int:
    dbt_vars = parse_vars(args.var)
    with writer_lock(cfg):
        build(cfg, full_refresh=args.full_refresh, dbt_vars=dbt_vars, quiet=False)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add load and build."""
    p = sub.add_parser("load", parents=[common], help="load log files (files or directories)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(handler=cmd_load)

    p = sub.add_parser("build", parents=[common], help="dbt build (incremental)")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the rollups from downloads (downloads itself is kept)",
    )
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE", help="dbt var")
    p.set_defaults(handler=cmd_build)
