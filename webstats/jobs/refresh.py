"""`webstats refresh`: the nightly job. Lock, (manifest), load, freshness, build, swap; one JSON
line a step.

The scheduler's log gets one JSON object per step (`step`, its counts, `seconds`), so a failed
night can be read without dbt's full output. The work happens in a Stage (stage.py)
and is swapped in only when every step succeeded, so the site serves the previous build
until the new one is complete; a failed or killed run leaves it untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from webstats.core.errors import first_line
from webstats.core.runs import record_run, run_record
from webstats.core.settings import Settings
from webstats.core.warehouse import (
    WarehouseBusy,
    connect,
    held_by_another_process,
    loads_logs,
    served,
)
from webstats.ingest.loader import load_paths

from . import athena, freshness
from .manifest import update_project_manifest
from .report import print_json, step
from .stage import Stage, run_staged


@dataclass
class RefreshOptions:
    logs: list[Path] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    release: str | None = None
    devel: str | None = None
    force: bool = False
    full_refresh: bool = False

    def dbt_vars(self) -> dict[str, str]:
        """The Bioconductor versions, when given, reach the build (home-page links)."""
        out = {}
        if self.release:
            out["bioc_release"] = self.release
        if self.devel:
            out["bioc_devel"] = self.devel
        return out


def _load(stage: Stage, logs: Sequence[Path]) -> list[str]:
    with step("load") as rec:
        summary = load_paths(stage.raw, list(logs), progress=False)
        rec.update(summary.as_dict())
        rec.pop("seconds", None)
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    return list(summary.problems)


#: set to "off" to leave out the freshness step (the test suite does, but for its own test:
#: it is one more dbt run per refresh)
FRESHNESS_ENV = "WEBSTATS_SOURCE_FRESHNESS"


def _freshness(stage: Stage, dbt_vars: dict) -> None:
    """`dbt source freshness` on the loaded raw requests, its verdict stored for /api/status.
    Never fails the night: a failure is reported in the step's line (ok false) and the run
    goes on (late logs are no reason to withhold the build). It runs in the night's dbt
    process, which the build then reuses (dbt imported and the project parsed once)."""
    if os.environ.get(FRESHNESS_ENV, "on").lower() == "off":
        return
    rec = {"step": "freshness"}
    started = time.monotonic()
    try:
        verdict = freshness.check(stage.build, stage.vars_for(dbt_vars), stage.dbt)
        freshness.store(stage.raw, verdict)
        rec.update(verdict, ok=verdict["status"] != "runtime error")
    except Exception as exc:  # reported, never fatal
        rec.update(ok=False, error=str(exc).splitlines()[0] if str(exc) else repr(exc))
    rec["seconds"] = round(time.monotonic() - started, 3)
    print_json(rec)


def _loaded(stage: Stage, logs: Sequence[Path], dbt_vars: dict) -> list[str]:
    problems = _load(stage, logs)
    _freshness(stage, dbt_vars)
    return problems


def _update_manifest(settings: Settings, opts: RefreshOptions) -> None:
    with step("manifest") as rec:
        changes, path = update_project_manifest(
            settings, opts.packages, opts.release, opts.devel, force=opts.force, out=sys.stderr
        )
        rec.update(changes=len(changes), manifest=str(path))


def refresh(settings: Settings, opts: RefreshOptions) -> int:
    """The daily job; returns the exit status (0 only when every step succeeded).

    Its outcome is recorded for `/api/status` (webstats/core/runs.py) whether it succeeded,
    found problems or failed; a run that found another one holding the writer lock did
    nothing and is not recorded (the other run records its own)."""
    try:
        problems = _refresh(settings, opts)
    except BaseException as exc:
        if isinstance(exc, WarehouseBusy) or held_by_another_process(exc):
            raise
        _record(settings, ok=False, problems=1, error=first_line(exc))
        raise
    _record(settings, ok=not problems, problems=len(problems), error=None)
    return 0 if not problems else 1


def _record(settings: Settings, ok: bool, problems: int, error: str | None) -> None:
    """Keep the run's outcome; failing to record it must not change the run's own exit."""
    try:
        record_run(settings, run_record(ok, problems, error, dt.datetime.now(dt.UTC)))
    except Exception as exc:
        print(f"error: could not record the run's outcome: {first_line(exc)}", file=sys.stderr)


def _refresh(settings: Settings, opts: RefreshOptions) -> list[str]:
    """The steps of the daily job; returns the problems (files that could not be read)."""
    started = time.monotonic()
    if not loads_logs(settings):
        athena.check_no_logs(opts.logs)
    if opts.packages:
        if not (opts.release and opts.devel):
            raise ValueError("--packages needs --release and --devel")
        _update_manifest(settings, opts)
    if loads_logs(settings):
        problems = run_staged(
            settings,
            lambda stage: _loaded(stage, opts.logs, opts.dbt_vars()),
            opts.dbt_vars(),
            opts.full_refresh,
        )
    else:  # Athena: the logs stay in S3; its marts are published for the site (athena.py)
        now = dt.datetime.now(dt.UTC)
        problems = athena.nightly(settings, opts.dbt_vars(), opts.full_refresh, now)
    with step("summary") as rec:
        rec.update(_info(settings))
        rec["problems"] = len(problems)
        rec["ok"] = not problems
        rec["total_seconds"] = round(time.monotonic() - started, 3)
    return problems


def _info(settings: Settings) -> dict:
    """valid_thru / as_of_date / built_at of the build now serving (for the summary line)."""
    try:
        with connect(served(settings), read_only=True) as con:
            row = con.execute(
                "select valid_thru, as_of_date, built_at from webstats_info"
            ).fetchone()
    except Exception:  # the summary must not fail a successful run
        return {}
    if row is None:
        return {}
    return {"valid_thru": str(row[0]), "as_of_date": str(row[1]), "built_at": str(row[2])}
