"""`webstats manifest update`: the package manifest seed from Bioconductor PACKAGES files."""

from __future__ import annotations

import argparse
from pathlib import Path

from webstats.core.seeds import categories_path, manifest_path
from webstats.core.settings import Settings
from webstats.jobs.manifest import update_manifest


def cmd_manifest_update(args: argparse.Namespace, cfg: Settings) -> int:
    changes = update_manifest(
        Path(args.manifest) if args.manifest else manifest_path(cfg.project_dir),
        categories_path(cfg.project_dir),
        args.files,
        args.release,
        args.devel,
        force=args.force,
        dry_run=args.dry_run,
    )
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(changes)} change(s); manifest {verb if changes else 'unchanged'}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add manifest update."""
    p = sub.add_parser("manifest", help="package manifest (seeds/packages.csv)")
    msub = p.add_subparsers(dest="manifest_command", required=True, metavar="ACTION")
    u = msub.add_parser(
        "update", parents=[common], help="apply devel PACKAGES files to the manifest"
    )
    u.add_argument("--release", required=True, help="current release, e.g. 3.22")
    u.add_argument("--devel", required=True, help="current devel, e.g. 3.23")
    u.add_argument("--force", action="store_true", help="accept more than 50 changes")
    u.add_argument("--dry-run", action="store_true", help="print the changes only")
    u.add_argument("--manifest", help="manifest CSV (default: the project's seeds/packages.csv)")
    u.add_argument(
        "files",
        nargs="+",
        metavar="[CATEGORY=]PACKAGES",
        help="one devel PACKAGES file per category; category from "
        ".../<category path>/src/contrib/PACKAGES or given as CATEGORY=PATH",
    )
    u.set_defaults(handler=cmd_manifest_update)
