"""`webstats load` and `webstats build`: log files into the raw tables, then dbt."""

from __future__ import annotations

import argparse
import sys

from webstats.core.settings import Settings
from webstats.core.warehouse import loads_logs, writer_lock

from .common import UsageError, existing_path, parse_vars


class NothingToLoad(RuntimeError):
    """The paths given hold no log file."""


def check_load(args: argparse.Namespace, cfg: Settings) -> None:
    if not loads_logs(cfg):
        raise UsageError(
            f"the {cfg.target} target has no load step: it reads the logs in place (S3)"
        )


def cmd_load(args: argparse.Namespace, cfg: Settings) -> int:
    # on use: keeps `--help` fast
    from webstats.ingest.loader import discover, load_paths, reparse_rejects

    if args.reparse_rejects:
        with writer_lock(cfg):
            summary = reparse_rejects(cfg)
        return _report(summary)
    if not args.paths:
        raise UsageError("name log files or directories to load (or --reparse-rejects)")
    if not discover(args.paths):
        shown = ", ".join(str(p) for p in args.paths)
        raise NothingToLoad(f"no log files in {shown}")
    with writer_lock(cfg):  # one writer at a time: the loads of two runs must not interleave
        summary = load_paths(cfg, args.paths)
    return _report(summary)


def _report(summary) -> int:
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(summary.text())
    return 0 if summary.ok else 1


def check_build(args: argparse.Namespace, cfg: Settings) -> None:
    args.dbt_vars = parse_vars(args.var)


def cmd_build(args: argparse.Namespace, cfg: Settings) -> int:
    """The build under the writer lock, applied like the nightly one: one JSON line a step
    (the build's names the project and the manifest), on PostgreSQL in the staging schema
    swapped in at the end, so that a failed or killed build leaves the site one build."""
    from webstats.jobs.stage import run_staged  # on use: keeps `webstats --help` fast

    run_staged(
        cfg,
        lambda stage: [],
        args.dbt_vars,
        args.full_refresh,
        live=sys.stdout.isatty(),  # dbt's progress on a terminal
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add load and build."""
    p = sub.add_parser(
        "load",
        parents=[common],
        help="load log files or legacy SQLite databases (files or directories)",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", type=existing_path)
    p.add_argument(
        "--reparse-rejects",
        action="store_true",
        help="re-read loaded Apache/Squid/nginx files (and legacy databases) with rejected "
        "lines and load the lines the current parser accepts (once)",
    )
    p.set_defaults(handler=cmd_load, check=check_load)

    p = sub.add_parser("build", parents=[common], help="dbt build (incremental)")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the rollups from downloads (downloads itself is kept)",
    )
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE", help="dbt var")
    p.set_defaults(handler=cmd_build, check=check_build)
