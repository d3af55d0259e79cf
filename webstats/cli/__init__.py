"""The `webstats` command: load logs, build with dbt, serve and export the site, the daily job.

One module per command group registers its subcommands (`register`); this module parses the
command line and turns failures into one line on stderr and an exit status: 2 for bad
usage, 1 for a failure, 75 when another writer holds the warehouse, never a traceback for
bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from webstats import __version__
from webstats.core.settings import TARGETS, settings
from webstats.core.warehouse import BUSY_EXIT, WarehouseBusy
from webstats.jobs.dbt import DbtError

from . import athena, daily, demo, manifest, pipeline, site
from .common import UsageError

COMMAND_GROUPS = (pipeline, demo, site, daily, manifest, athena)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webstats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"webstats {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target", choices=TARGETS, help="warehouse (default: $WEBSTATS_TARGET, else duckdb)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = settings(getattr(args, "target", None))
        return args.handler(args, cfg)
    except WarehouseBusy as exc:  # another writer runs: try later (EX_TEMPFAIL)
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return BUSY_EXIT
    except (UsageError, FileNotFoundError) as exc:
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except (DbtError, ValueError, OSError) as exc:  # one line; details are in dbt's output
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return 1
