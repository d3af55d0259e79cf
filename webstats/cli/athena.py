"""`webstats athena ...`: the S3 side of the Athena target.

`organize SRC DST` copies CloudFront's flat log objects into the day folders the external
table reads (webstats.ingest.organize); `create-table` creates that table and the
`raw_requests` view (dbt run-operation create_cloudfront_table). Credentials come from
boto3's chain, never from the repository; without them a command fails in one line.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from webstats.core.settings import Settings
from webstats.jobs.report import step

from .common import UsageError

if TYPE_CHECKING:
    from webstats.ingest.s3 import S3Location


def _location(url: str) -> S3Location:
    """An S3 location from the command line (a bad one is a usage error, status 2)."""
    from webstats.ingest.s3 import S3Location  # on use: keeps `webstats --help` fast

    try:
        return S3Location.parse(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_organize(args: argparse.Namespace, cfg: Settings) -> int:
    # on use: keeps `webstats --help` fast (boto3)
    from webstats.ingest import s3
    from webstats.ingest.organize import organize

    src, dst = _location(args.src), _location(args.dst)
    with step("organize", {"src": str(src), "dst": str(dst)}) as rec:
        summary = organize(s3.client(), src, dst, workers=args.workers)
        rec.update(summary.as_dict())
        for conflict in summary.conflicts:
            print(f"conflict: {conflict}", flush=True)
        rec["ok"] = not summary.conflicts
    return 0 if not summary.conflicts else 1


def cmd_create_table(args: argparse.Namespace, cfg: Settings) -> int:
    # on use: keeps `webstats --help` fast
    from webstats.ingest import s3
    from webstats.jobs.dbt import run_dbt

    location = _location(args.location)
    s3.require_credentials()
    macro_args = {"location": str(location), "first_day": args.first_day}
    if args.distribution:
        macro_args["distribution"] = args.distribution
    command = ["run-operation", "create_cloudfront_table", "--args", json.dumps(macro_args)]
    run_dbt(cfg, command, quiet=False)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `athena organize` and `athena create-table`."""
    group = sub.add_parser("athena", help="the S3 side of the Athena target")
    athena = group.add_subparsers(dest="athena_command", required=True, metavar="COMMAND")

    p = athena.add_parser(
        "organize", help="copy new CloudFront log objects into day folders (idempotent)"
    )
    p.add_argument("src", metavar="s3://SRC/", help="where CloudFront writes (flat)")
    p.add_argument("dst", metavar="s3://DST/", help="the external table's location")
    p.add_argument("--workers", type=int, default=8, help="copies at a time (default 8)")
    p.set_defaults(handler=cmd_organize)

    p = athena.add_parser(
        "create-table", help="create the cloudfront_logs table and the raw_requests view"
    )
    p.add_argument("location", metavar="s3://LOGS/", help="the organized logs (or v2's prefix)")
    p.add_argument("--first-day", default="2013-01-01", help="first delivery day to project")
    p.add_argument(
        "--distribution",
        help="standard logging v2 with suffix path {DistributionId}/{yyyy}/{MM}/{dd}",
    )
    p.set_defaults(handler=cmd_create_table, target="athena")
