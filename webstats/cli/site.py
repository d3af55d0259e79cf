"""`webstats serve` and `webstats export`: the site, live under Waitress or as files.

The CLI is the only importer of the renderer; it is imported when one of these commands
runs, which keeps Flask, SQLAlchemy and Pillow out of every other command's start-up.
"""

from __future__ import annotations

import argparse

from webstats.core.settings import Settings
from webstats.core.warehouse import served_path, serves

from .common import UsageError, not_a_file, port, threads


class NothingPublished(RuntimeError):
    """There is no build for the site to show yet."""


def check_served(args: argparse.Namespace, cfg: Settings) -> None:
    if cfg.target == "athena":
        raise UsageError(
            "the athena target is not served directly: serve a DuckDB or PostgreSQL warehouse"
        )


def cmd_serve(args: argparse.Namespace, cfg: Settings) -> int:
    from renderer.serve import serve  # on use: keeps `webstats --help` fast

    serve(cfg, host=args.host, port=args.port, threads=args.threads)
    return 0


def cmd_export(args: argparse.Namespace, cfg: Settings) -> int:
    from renderer.export import export_site  # on use: keeps `webstats --help` fast

    if not serves(cfg):
        raise NothingPublished(
            f"nothing to export: no build published at {served_path(cfg)} (run webstats build)"
        )
    written = export_site(cfg, args.dir)
    print(f"wrote {written} files under {args.dir}")
    return 0


def add_serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=8080, help="port (default 8080; 0: any free)")
    p.add_argument("--threads", type=threads, default=8, help="Waitress worker threads (default 8)")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add serve and export."""
    p = sub.add_parser("serve", parents=[common], help="serve the site and API with Waitress")
    add_serve_options(p)
    p.set_defaults(handler=cmd_serve, check=check_served)

    p = sub.add_parser("export", parents=[common], help="write the whole site as static files")
    p.add_argument("dir", metavar="DIR", type=not_a_file)
    p.set_defaults(handler=cmd_export, check=check_served)
