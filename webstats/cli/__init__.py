"""The `webstats` command: load logs, build with dbt, serve and export the site, the daily job.

One module per command group registers its subcommands (`register`); this module parses the
command line and turns failures into one line on stderr and an exit status: 2 for bad
usage (every value is checked before any work starts), 1 for a failure (the cause, e.g. the
failing dbt model and dbt's message), 75 when another writer holds the warehouse, never a
traceback (`--debug` shows one).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from webstats import __version__
from webstats.core.errors import BadInput, first_line
from webstats.core.settings import TARGETS, settings
from webstats.core.warehouse import BUSY_EXIT, WarehouseBusy, held_by_another_process

from . import athena, daily, demo, manifest, pipeline, site
from .common import Parser, UsageError

COMMAND_GROUPS = (pipeline, demo, site, daily, manifest, athena)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="webstats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"webstats {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target", choices=TARGETS, help="warehouse (default: $WEBSTATS_TARGET, else duckdb)"
    )
    common.add_argument(
        "--project-dir",
        metavar="DIR",
        help="the dbt project (default: $WEBSTATS_PROJECT_DIR, else the current directory "
        "or a parent holding dbt_project.yml, else the copy shipped with webstats)",
    )
    common.add_argument(
        "--debug", action="store_true", help="on failure, show the Python traceback too"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    name = " ".join(["webstats", args.command, getattr(args, "manifest_command", "")]).strip()
    try:
        cfg = settings(getattr(args, "target", None), getattr(args, "project_dir", None))
        check = getattr(args, "check", None)
        if check is not None:
            check(args, cfg)  # what needs the settings too, still before any work
        return args.handler(args, cfg)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the cause in one line; the details with --debug
        if getattr(args, "debug", False):
            traceback.print_exception(exc)
        print(f"{name}: {first_line(exc)}", file=sys.stderr)
        return exit_status(exc)


def exit_status(exc: Exception) -> int:
    """2 for bad usage or input, 75 when another writer has the warehouse, else 1."""
    if isinstance(exc, UsageError | BadInput):
        return 2
    if isinstance(exc, WarehouseBusy) or held_by_another_process(exc):
        return BUSY_EXIT  # try later (EX_TEMPFAIL)
    return 1
