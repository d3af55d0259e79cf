"""Late logs, the dbt way: the nightly job runs `dbt source freshness` and keeps its verdict.

The raw source declares how fresh `raw_requests` must be (models/staging/_sources.yml:
`loaded_at_field: request_at`, warn after 2 days without a newer request, error after 4), so
analysts get the same verdict from `dbt source freshness` on any target. The nightly job
runs it after loading (a step of its own whose failure never fails the night: stale logs
are news, not a reason to withhold the build), reports it in its JSON line, and stores it in
the raw-layer table `source_freshness` (one row), which the build publishes with the site's
tables and `/api/status` answers as `source_freshness`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from webstats.core.errors import first_line
from webstats.core.settings import Settings
from webstats.core.warehouse import connect
from webstats.ingest.rawstore import create_raw_tables

from .dbt import DbtError, DbtSession, run_dbt, state_dir

#: the source table whose freshness is checked, as dbt names it
SOURCE = "source.webstats.raw.raw_requests"
_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24}


def _sources_json(settings: Settings) -> Path:
    return state_dir(settings) / "target" / "sources.json"


def _hours(rule: dict | None) -> int | None:
    if not rule or rule.get("count") is None:
        return None
    return int(rule["count"] * _HOURS[rule["period"]])


def _parse_time(text: str | None) -> dt.datetime | None:
    """dbt's ISO time as a naive UTC timestamp (the warehouse's convention)."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)


def verdict_from(results: list[dict], error: str | None) -> dict:
    """The verdict of the raw source from sources.json's results (or dbt's error alone)."""
    result = next((r for r in results if r.get("unique_id") == SOURCE), None)
    if result is None:
        return {"status": "runtime error", "error": error or "no result for raw_requests"}
    criteria = result.get("criteria") or {}
    age = result.get("max_loaded_at_time_ago_in_s")
    return {
        "status": result["status"],
        "max_loaded_at": _parse_time(result.get("max_loaded_at")),
        "age_seconds": None if age is None else round(float(age), 3),
        "warn_after_hours": _hours(criteria.get("warn_after")),
        "error_after_hours": _hours(criteria.get("error_after")),
        "error": result.get("error") or (error if result["status"] == "runtime error" else None),
    }


def check(
    settings: Settings, dbt_vars: Mapping | None = None, session: DbtSession | None = None
) -> dict:
    """Run `dbt source freshness` on the raw source; its verdict (never raises for dbt).
    `dbt_vars`: those of the build that follows (the same vars keep dbt's partial parse);
    `session`: the night's dbt process, which then runs the build too (its own vars)."""
    out = _sources_json(settings)
    out.unlink(missing_ok=True)  # a previous run's verdict is not this one's
    error = None
    command = ["source", "freshness", "--select", "source:raw.raw_requests"]
    json_on = {"DBT_WRITE_JSON": "true"}
    try:
        if session is not None:
            session.run(command, extra_env=json_on)
        else:
            run_dbt(settings, command, dbt_vars, extra_env=json_on)
    except DbtError as exc:  # an "error" verdict exits 1 too: the results say which
        error = first_line(exc)
    results = json.loads(out.read_text())["results"] if out.exists() else []
    return verdict_from(results, error)


def store(settings: Settings, verdict: dict) -> None:
    """Replace the stored verdict (raw-layer table `source_freshness`)."""
    row = [
        "raw.raw_requests",
        verdict["status"],
        verdict.get("max_loaded_at"),
        verdict.get("age_seconds"),
        verdict.get("warn_after_hours"),
        verdict.get("error_after_hours"),
        verdict.get("error"),
        dt.datetime.now(dt.UTC).replace(tzinfo=None),
    ]
    with connect(settings) as con, con.transaction():
        create_raw_tables(con)  # a warehouse of earlier versions has no such table yet
        con.execute("delete from source_freshness")
        con.execute(
            "insert into source_freshness (source_table, status, max_loaded_at, age_seconds, "
            "warn_after_hours, error_after_hours, error, checked_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
