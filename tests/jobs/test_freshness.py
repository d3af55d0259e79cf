"""Late logs the dbt way (issue 17): the raw source's freshness rule, `dbt source freshness`
run by the nightly job as a step that reports but never fails the night, and its verdict in
/api/status. One refresh per engine (load, freshness, build: in one dbt process), one more freshness
on DuckDB (`pass` is left to dbt: the thresholds are what is ours)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from renderer.app import create_app
from webstats.jobs import freshness
from webstats.jobs.dbt import state_dir
from webstats.jobs.stage import staging_schemas

ACME = "/packages/3.18/bioc/src/contrib/ACME_2.0.tar.gz"


def _log(logs, path, when: dt.datetime):
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    name = f"E1.{when:%Y-%m-%d-%H}.{when:%M%S}.gz"
    return logs.write(path / name, logs.cloudfront([logs.req(ACME, when=stamp)]))


def test_the_refresh_reports_a_late_source_and_serves_its_verdict(
    warehouse, logs, tmp_path, monkeypatch, real_dbt_process
):
    monkeypatch.setenv("WEBSTATS_SOURCE_FRESHNESS", "on")  # the suite's default is off
    w = warehouse.with_manifest(logs.MANIFEST)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    newest = now - dt.timedelta(days=5)  # past the error threshold (4 days)
    _log(logs, tmp_path / "logs", newest)
    records = w.refresh(tmp_path / "logs")  # asserts exit status 0: the night succeeds
    step = next(r for r in records if r["step"] == "freshness")
    assert step["status"] == "error" and step["ok"]
    assert (step["warn_after_hours"], step["error_after_hours"]) == (48, 96)
    assert 5 * 86400 <= step["age_seconds"] < 5 * 86400 + 600
    assert records[-1]["step"] == "summary" and records[-1]["ok"]
    # one dbt process for the night (dbt_child.session): the project parsed once (with the
    # build's vars: the refresh passes --release/--devel, on PostgreSQL the stage adds its
    # own), then the freshness check and the build on that parse
    parse_run, freshness_run, build_run = _dbt_invocations(w)[-3:]
    # (`dbt parse` runs nothing: no "Found N models" line, no node; here a first parse)
    assert any("Unable to do partial parsing" in line for line in parse_run)
    assert not any(k in line for line in parse_run for k in ("Found ", "freshness of", "START"))
    assert any("freshness of raw.raw_requests" in line for line in freshness_run)
    assert any("OK created sql view model" in line for line in build_run)
    assert not [r for r in freshness_run + build_run if "Unable to do partial parsing" in r]

    status = create_app(w.settings).test_client().get("/api/status").get_json()
    verdict = status["source_freshness"]
    assert verdict["status"] == "error"
    assert verdict["max_loaded_at"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (verdict["warn_after_hours"], verdict["error_after_hours"]) == (48, 96)
    assert 120 <= verdict["age_hours"] < 121

    if w.target == "postgres":
        return  # the rule is the same SQL on both engines: one dbt run saved
    _log(logs, tmp_path / "more", now - dt.timedelta(days=3))  # late, not yet an error
    w.load(tmp_path / "more")
    verdict = freshness.check(w.settings)
    assert verdict["status"] == "warn"
    assert 3 * 86400 <= verdict["age_seconds"] < 3 * 86400 + 600


def _dbt_invocations(w) -> list[list[str]]:
    """The lines of dbt's log file (in the state directory the nightly build used: on
    PostgreSQL the staging schema's), one list per dbt command, from its command line on."""
    built = dataclasses.replace(w.settings, state_dir=w.settings.project_dir)  # as the CLI's
    if w.target == "postgres":
        built = dataclasses.replace(built, pg_schema=staging_schemas(built.pg_schema)[0])
    runs: list[list[str]] = []
    for line in (state_dir(built) / "logs" / "dbt.log").read_text().splitlines():
        if "Running with dbt=" in line:
            runs.append([])
        elif runs:
            runs[-1].append(line)
    return runs
