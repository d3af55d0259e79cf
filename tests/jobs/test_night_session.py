"""The PostgreSQL night's sessions (issue 18): the staged build's dbt sessions commit without
waiting for the WAL flush (its work is recomputable: a lost commit is a build stopped
earlier), the swap commits durably whatever the environment says, and every dbt command of
the night passes the same vars (else dbt parses the whole project again: checked in
test_freshness.py)."""

from __future__ import annotations

import contextlib

import pytest

from webstats.core.warehouse import connect_server
from webstats.jobs.dbt import run_dbt
from webstats.jobs.stage import postgres_stage, prepare_postgres_stage, swap_postgres_stage

pytestmark = pytest.mark.parametrize("warehouse", ["postgres"], indirect=True)

SHOW_SETTING = ["show", "--inline", "select current_setting('synchronous_commit') as sc"]


def _setting_seen_by_dbt(settings, env: dict | None) -> str:
    out = run_dbt(settings, SHOW_SETTING, extra_env=env)
    seen = [word for line in out.splitlines() for word in line.split("|") if word.strip()]
    return next(w.strip() for w in reversed(seen) if w.strip() in ("on", "off", "local"))


def test_the_staged_build_commits_without_waiting_and_plain_dbt_waits(warehouse, monkeypatch):
    monkeypatch.setenv("PGOPTIONS", "")  # the suite's own default is off for every session
    with postgres_stage(warehouse.settings) as stage:
        assert _setting_seen_by_dbt(stage.build, stage.dbt_env) == "off"
        assert _setting_seen_by_dbt(stage.build, None) == "on"  # dbt elsewhere: as configured
    # other options of the environment are kept, ours come last (libpq: last one wins)
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=64MB")
    with postgres_stage(warehouse.settings) as stage:
        assert stage.dbt_env["PGOPTIONS"].startswith("-c work_mem=64MB ")
        assert stage.dbt_env["PGOPTIONS"].endswith("synchronous_commit=off")


def test_the_swap_commits_durably_even_when_the_environment_says_otherwise(
    warehouse, monkeypatch
):
    """The swap's transaction turns synchronous commit on for itself: a night that reported
    success is on disk, and with it everything its build logged before."""
    monkeypatch.setenv("PGOPTIONS", "-c synchronous_commit=off")
    with postgres_stage(warehouse.settings):
        pass  # creates the staging schema; the swap happens at the end of the block
    seen: list[str] = []
    with contextlib.closing(connect_server(warehouse.settings)) as conn:
        assert conn.execute("show synchronous_commit").fetchone()[0] == "off"
        schema = warehouse.settings.pg_schema
        prepare_postgres_stage(conn, schema)
        original = conn.execute

        def watching(sql, *args):
            cur = original(sql, *args)
            if sql.startswith("alter schema"):  # inside the swap's transaction
                seen.append(original("show synchronous_commit").fetchone()[0])
            return cur

        conn.execute = watching
        swap_postgres_stage(conn, schema)
        conn.execute = original
        assert conn.execute("show synchronous_commit").fetchone()[0] == "off"  # local only
    assert seen and set(seen) == {"on"}

