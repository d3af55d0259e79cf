"""The daily job and the operations around it: `refresh`, `import-legacy`, `prune`,
`migrate-ip-hash`.

Every command that changes the warehouse takes the writer lock (webstats.core.warehouse);
when another run holds it, the command exits with status 75 (EX_TEMPFAIL) and says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from webstats.core.settings import Settings
from webstats.core.warehouse import loads_logs
from webstats.jobs.report import step

from .common import (
    UsageError,
    day,
    directory,
    existing_path,
    not_negative,
    version,
    versions_together,
)


def check_refresh(args: argparse.Namespace, cfg: Settings) -> None:
    versions_together(args.release, args.devel)
    if args.logs and not loads_logs(cfg):
        raise UsageError(
            "--logs: the athena target reads its logs in S3 (WEBSTATS_ATHENA_LOGS_SOURCE)"
        )
    for logs in args.logs:
        try:
            existing_path(str(logs))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"argument --logs: {exc}") from None
    if args.packages and not args.release:
        raise UsageError("--packages needs --release and --devel")


def cmd_refresh(args: argparse.Namespace, cfg: Settings) -> int:
    from webstats.jobs.refresh import RefreshOptions, refresh  # on use: fast `--help`

    opts = RefreshOptions(
        logs=list(args.logs),
        packages=list(args.packages),
        release=args.release,
        devel=args.devel,
        force=args.force,
        full_refresh=args.full_refresh,
    )
    return refresh(cfg, opts)


def cmd_import_legacy(args: argparse.Namespace, cfg: Settings) -> int:
    # on use: keeps `webstats --help` fast
    from webstats.jobs.legacy_import import cutoff_day, import_site
    from webstats.jobs.stage import run_staged

    before = args.before
    has_logs = [True]

    def work(stage) -> list[str]:
        with step("import", {"dir": str(args.dir)}) as rec:
            # Without loaded logs there is no as-of day and nothing to build (webstats_info
            # would be empty): the rows are stored and the first refresh builds them in.
            has_logs[0] = cutoff_day(stage.raw) is not None
            rec.update(import_site(stage.raw, args.dir, before))
            if not has_logs[0]:
                rec["build"] = "no logs loaded yet: the next refresh builds the imported years"
        return []

    run_staged(cfg, work, build_after=lambda: has_logs[0])
    return 0


def check_raw_tables(args: argparse.Namespace, cfg: Settings) -> None:
    if not loads_logs(cfg):
        raise UsageError(f"the {cfg.target} target keeps no raw tables here (its logs stay in S3)")


def cmd_prune(args: argparse.Namespace, cfg: Settings) -> int:
    from webstats.jobs.prune import prune  # on use: keeps `webstats --help` fast

    with step("prune", {"keep_days": args.keep_days}) as rec:
        rec.update(prune(cfg, args.keep_days))
    return 0


def cmd_migrate_ip_hash(args: argparse.Namespace, cfg: Settings) -> int:
    from webstats.jobs.ip_hash import migrate_ip_hash  # on use: keeps `webstats --help` fast

    with step("migrate-ip-hash", {"target": cfg.target}) as rec:
        rec.update(migrate_ip_hash(cfg))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add refresh, import-legacy, prune and migrate-ip-hash."""
    p = sub.add_parser(
        "refresh",
        parents=[common],
        help="the daily job: load new logs, (update the manifest), build, swap in",
    )
    p.add_argument(
        "--logs",
        action="append",
        default=[],
        metavar="DIR",
        type=Path,
        help="log directory or file (repeatable); already loaded files are skipped",
    )
    p.add_argument(
        "--packages",
        nargs="+",
        default=[],
        metavar="[CATEGORY=]PACKAGES",
        help="devel PACKAGES files: update the manifest first",
    )
    p.add_argument("--release", type=version, help="Bioconductor release version, e.g. 3.22")
    p.add_argument("--devel", type=version, help="Bioconductor devel version, e.g. 3.23")
    p.add_argument("--force", action="store_true", help="accept more than 50 manifest changes")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the rollups from downloads (downloads itself is kept)",
    )
    p.set_defaults(handler=cmd_refresh, check=check_refresh)

    p = sub.add_parser(
        "import-legacy",
        parents=[common],
        help="import the legacy site's _stats.tab history (years before the logs)",
    )
    p.add_argument(
        "dir", metavar="DIR", type=directory, help="a copy of the legacy site (…/packages/stats)"
    )
    p.add_argument(
        "--before",
        metavar="YYYY-MM-DD",
        type=day,
        help="import years before this day's year (default: first loaded log day)",
    )
    p.set_defaults(handler=cmd_import_legacy, check=check_raw_tables)

    p = sub.add_parser("prune", parents=[common], help="delete old, already built raw requests")
    p.add_argument(
        "--keep-days",
        type=not_negative,
        required=True,
        metavar="N",
        help="keep the N days before the newest loaded day",
    )
    p.set_defaults(handler=cmd_prune, check=check_raw_tables)

    p = sub.add_parser(
        "migrate-ip-hash",
        parents=[common],
        help="re-hash stored client IP hashes (md5 of earlier versions) with HMAC-SHA-256 "
        "where the raw requests allow; once, before the first build of this version",
    )
    p.set_defaults(handler=cmd_migrate_ip_hash, check=check_raw_tables)
