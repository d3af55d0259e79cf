"""`webstats refresh`: the nightly job. Lock, (manifest), load, build, swap; one JSON line a step.

The scheduler's log gets one JSON object per step (`step`, its counts, `seconds`), so a failed
night can be read without dbt's full output. The work happens in a Stage (webstats.staging)
and is swapped in only when every step succeeded, so the site serves the previous build
until the new one is complete; a failed or killed run leaves it untouched.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .locking import writer_lock
from .staging import Stage, staged


def emit(record: dict) -> None:
    """One JSON line on stdout (the scheduler's log)."""
    from .cli import print_json

    print_json(record)


@contextmanager
def step(name: str, record: dict | None = None) -> Iterator[dict]:
    """Time a step and emit its JSON line; the body fills in counts. Failures are logged too."""
    out = {"step": name} if record is None else {"step": name, **record}
    started = time.monotonic()
    try:
        yield out
    except BaseException as exc:
        out.update(
            ok=False,
            error=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            seconds=round(time.monotonic() - started, 3),
        )
        emit(out)
        raise
    out.setdefault("ok", True)
    out["seconds"] = round(time.monotonic() - started, 3)
    emit(out)


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


def run_staged(
    settings: Settings,
    work: Callable[[Stage], list[str]],
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
    build_after: bool | Callable[[], bool] = True,
) -> list[str]:
    """Under the writer lock: stage, `work` (returns problems), build, swap. Returns problems.

    Shared by refresh, import-legacy and prune so that they all change the warehouse the
    same all-or-nothing way: any exception before the swap discards the stage.
    """
    from .dbt import build

    with step("lock", {"target": settings.target}):
        lock = writer_lock(settings)
        lock.__enter__()
    try:
        with step("stage", {"where": _where(settings)}):
            stage_cm = staged(settings)
            stage = stage_cm.__enter__()
        try:
            problems = work(stage)
            if build_after if isinstance(build_after, bool) else build_after():
                with step("build", {"full_refresh": full_refresh}):
                    build(stage.build, full_refresh=full_refresh, dbt_vars=dbt_vars or None)
        except BaseException:
            stage_cm.__exit__(*sys.exc_info())
            raise
        with step("swap", {"where": _where(settings)}):
            stage_cm.__exit__(None, None, None)
        return problems
    finally:
        lock.__exit__(None, None, None)


def _where(settings: Settings) -> str:
    if settings.target == "duckdb":
        return str(settings.duckdb_path)
    if settings.target == "postgres":
        return f"schema {settings.pg_schema}"
    return settings.target


def _load(stage: Stage, logs: Sequence[Path]) -> list[str]:
    from .loader import load_paths

    if stage.raw.target == "athena":
        with step("load", {"skipped": "athena reads the logs in place"}):
            return []
    with step("load") as rec:
        summary = load_paths(stage.raw, list(logs), progress=False)
        rec.update(summary.as_dict())
        rec.pop("seconds", None)
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    return list(summary.problems)


def _update_manifest(settings: Settings, opts: RefreshOptions) -> None:
    from .manifest import update_manifest

    with step("manifest") as rec:
        changes = update_manifest(
            settings.project_dir / "seeds" / "packages.csv",
            settings.project_dir / "seeds" / "categories.csv",
            opts.packages,
            opts.release,
            opts.devel,
            force=opts.force,
            out=sys.stderr,
        )
        rec["changes"] = len(changes)


def refresh(settings: Settings, opts: RefreshOptions) -> int:
    """The daily job; returns the exit status (0 only when every step succeeded)."""
    started = time.monotonic()
    if opts.packages:
        if not (opts.release and opts.devel):
            raise ValueError("--packages needs --release and --devel")
        _update_manifest(settings, opts)
    problems = run_staged(
        settings, lambda stage: _load(stage, opts.logs), opts.dbt_vars(), opts.full_refresh
    )
    with step("summary") as rec:
        rec.update(_info(settings))
        rec["problems"] = len(problems)
        rec["ok"] = not problems
        rec["total_seconds"] = round(time.monotonic() - started, 3)
    return 0 if not problems else 1


def _info(settings: Settings) -> dict:
    """valid_thru / as_of_date / built_at of the build now serving (for the summary line)."""
    sql = "select valid_thru, as_of_date, built_at from webstats_info"
    try:
        if settings.target == "duckdb":
            import duckdb

            con = duckdb.connect(str(settings.duckdb_path), read_only=True)
            try:
                row = con.execute(sql).fetchone()
            finally:
                con.close()
        elif settings.target == "postgres":
            import psycopg

            with psycopg.connect(options=f"-csearch_path={settings.pg_schema}") as conn:
                row = conn.execute(sql).fetchone()
        else:
            return {}
    except Exception:  # the summary must not fail a successful run
        return {}
    if row is None:
        return {}
    return {"valid_thru": str(row[0]), "as_of_date": str(row[1]), "built_at": str(row[2])}
