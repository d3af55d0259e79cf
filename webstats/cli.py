"""The `webstats` command: load logs, build with dbt, serve and export the site.

Every subcommand takes `--target` (default: $WEBSTATS_TARGET, else duckdb) and exits
non-zero on failure with a one-line reason on stderr, never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .config import TARGETS, Settings, settings

Handler = Callable[[argparse.Namespace, Settings], int]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


def _parse_vars(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--var expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def cmd_load(args: argparse.Namespace, cfg: Settings) -> int:
    from .loader import load_paths
    from .locking import writer_lock

    with writer_lock(cfg):  # a refresh swapping the warehouse would otherwise lose the load
        summary = load_paths(cfg, [Path(p) for p in args.paths])
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(summary.text())
    return 0 if summary.ok else 1


def cmd_build(args: argparse.Namespace, cfg: Settings) -> int:
    from .dbt import build
    from .locking import writer_lock

    dbt_vars = _parse_vars(args.var)
    with writer_lock(cfg):
        build(cfg, full_refresh=args.full_refresh, dbt_vars=dbt_vars, quiet=False)
    return 0


def cmd_demo(args: argparse.Namespace, cfg: Settings) -> int:
    from .demo import run_demo

    run_demo(cfg, Path(args.out), days=args.days, seed=args.seed)
    if args.serve:
        return cmd_serve(args, cfg)
    return 0


def cmd_serve(args: argparse.Namespace, cfg: Settings) -> int:
    from renderer.serve import serve

    serve(cfg, host=args.host, port=args.port, threads=args.threads)
    return 0


def cmd_export(args: argparse.Namespace, cfg: Settings) -> int:
    from renderer.export import export_site

    written = export_site(cfg, Path(args.dir))
    print(f"wrote {written} files under {args.dir}")
    return 0


def add_serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--threads", type=int, default=8, help="Waitress worker threads (default 8)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webstats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"webstats {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target", choices=TARGETS, help="warehouse (default: $WEBSTATS_TARGET, else duckdb)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser(
        "demo", parents=[common], help="generate demo logs, load and build them (DuckDB)"
    )
    p.add_argument("--out", default="demo-logs", help="directory for the generated logs")
    p.add_argument("--days", type=int, default=120, help="days of logs (default 120)")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--serve", action="store_true", help="then serve the site")
    add_serve_options(p)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("serve", parents=[common], help="serve the site and API with Waitress")
    add_serve_options(p)
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("export", parents=[common], help="write the whole site as static files")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(handler=cmd_export)

    for register in _extra_commands():
        register(sub, common)
    return parser


def _extra_commands() -> list[Callable]:
    """Subcommands that live beside their logic (daily job, manifest, history, retention)."""
    from . import ops

    return [ops.register]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .locking import BUSY_EXIT, WarehouseBusy

    try:
        cfg = settings(getattr(args, "target", None))
        return args.handler(args, cfg)
    except WarehouseBusy as exc:  # another writer runs: try later (EX_TEMPFAIL)
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return BUSY_EXIT
    except UsageError as exc:
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"webstats {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for operators; details are in dbt's own output
        from .dbt import DbtError

        if isinstance(exc, DbtError | ValueError | OSError):
            print(f"webstats {args.command}: {exc}", file=sys.stderr)
            return 1
        raise


def print_json(record: dict) -> None:
    """One JSON line on stdout, for the scheduler's log."""
    print(json.dumps(record, default=str), flush=True)


if __name__ == "__main__":
    sys.exit(main())
