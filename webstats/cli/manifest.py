"""`webstats manifest update`: the package manifest seed from Bioconductor PACKAGES files.

The manifest rewritten is the project's `seeds/packages.csv`, or, when the project is the
copy shipped inside the installed package, `$WEBSTATS_HOME/packages.csv` (site-packages is
never written; builds then use that file as the manifest seed).
"""

from __future__ import annotations

import argparse

from webstats.core.settings import Settings
from webstats.jobs.manifest import update_project_manifest

from .common import existing_file, version


def cmd_manifest_update(args: argparse.Namespace, cfg: Settings) -> int:
    changes, path = update_project_manifest(
        cfg,
        args.files,
        args.release,
        args.devel,
        force=args.force,
        dry_run=args.dry_run,
        manifest=args.manifest,
    )
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(changes)} change(s); manifest {path} {verb if changes else 'unchanged'}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add manifest update."""
    p = sub.add_parser("manifest", help="package manifest (seeds/packages.csv)")
    msub = p.add_subparsers(dest="manifest_command", required=True, metavar="ACTION")
    u = msub.add_parser(
        "update", parents=[common], help="apply devel PACKAGES files to the manifest"
    )
    u.add_argument("--release", required=True, type=version, help="current release, e.g. 3.22")
    u.add_argument("--devel", required=True, type=version, help="current devel, e.g. 3.23")
    u.add_argument("--force", action="store_true", help="accept more than 50 changes")
    u.add_argument("--dry-run", action="store_true", help="print the changes only")
    u.add_argument(
        "--manifest",
        type=existing_file,
        help="manifest CSV (default: the project's manifest in force)",
    )
    u.add_argument(
        "files",
        nargs="+",
        metavar="[CATEGORY=]PACKAGES",
        help="one devel PACKAGES file per category; category from "
        ".../<category path>/src/contrib/PACKAGES or given as CATEGORY=PATH",
    )
    u.set_defaults(handler=cmd_manifest_update)
