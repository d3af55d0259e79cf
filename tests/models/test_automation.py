"""Likely automation (docs/rules.md): exact flags on a hand-made log, the incremental run
equal to a full one, and a change of the rules' version re-deriving every flag; the same
for the people/automation counts of daily_downloads, whose days are recounted whole when
their flags change.

One warehouse per target (DuckDB file, real PostgreSQL schema); only the seeds and
daily_downloads with its parents run, with the burst rule set to more than 2 distinct
packages in 10 minutes (3 in the version-change step).
"""

from __future__ import annotations

import pytest

from webstats.jobs.dbt import run_dbt

R_AGENT = "R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)"
#: as published in the crawler-user-agents list (docs/rules.md, likely automation)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BURST, CRAWLER, PERSON = "198.51.100.1", "198.51.100.2", "198.51.100.3"
N2 = {"automation_burst_packages": 2, "automation_burst_minutes": 10}
N3 = {"automation_burst_packages": 3, "automation_burst_minutes": 10}
MODELS = "+daily_downloads"


def _line(ip: str, hms: str, package: str, agent: str, day: str = "15/Jan/2024") -> str:
    uri = f"/packages/3.18/bioc/src/contrib/{package}_1.0.tar.gz"
    return f'{ip} - - [{day}:{hms} +0000] "GET {uri} HTTP/1.1" 200 5 "-" "{agent}"'


FIRST = [
    _line(BURST, "10:01:00", "ACME", R_AGENT),
    _line(BURST, "10:02:00", "a4Base", R_AGENT),
    _line(CRAWLER, "10:03:00", "ACME", GOOGLEBOT),
    _line(PERSON, "10:04:00", "ACME", R_AGENT),
    # the day before: no new file touches it again, its counts must stay as they are
    _line(PERSON, "09:00:00", "ACME", R_AGENT, day="14/Jan/2024"),
]
#: a later file completes the burst: a third distinct package in the same 10-minute block
SECOND = [_line(BURST, "10:05:00", "oldpkg", R_AGENT)]


def _flags(w) -> list[tuple]:
    return w.query(
        "select package, request_at, automation_reason, automation_rules_version "
        "from int_download_automation where request_date = '2024-01-15' order by request_at"
    )


def _exceptions(w) -> dict[str, list[tuple]]:
    """What decides the flags: the burst blocks (with the days' marks) and the agents."""
    bursts = w.query(
        "select request_date, ip_hash, burst_window, distinct_packages, "
        "automation_rules_version, last_file_id from int_automation_bursts"
    )
    agents = w.query(
        "select user_agent, rule_id, automation_reason, automation_rules_version, last_file_id "
        "from int_automation_agents"
    )
    as_text = [(str(d)[:10], *rest) for d, *rest in bursts]
    return {"bursts": sorted(as_text, key=repr), "agents": sorted(agents, key=repr)}


def _daily(w) -> list[tuple]:
    """daily_downloads per (day, package, reason), with the rules' version stored there."""
    rows = w.query(
        "select download_date, package, automation_reason, automation_rules_version, "
        "sum(downloads) from daily_downloads group by 1, 2, 3, 4"
    )
    return sorted((str(d)[:10], p, r, v, int(n)) for d, p, r, v, n in rows)


def _hash(steps, ip: str) -> str:
    return steps["hashes"][ip]


def _run(w, dbt_vars: dict, *extra: str) -> None:
    run_dbt(w.settings, ["run", "--select", MODELS, *extra], dbt_vars=dbt_vars)


@pytest.fixture(scope="module")
def steps(module_warehouse, logs):
    """The flags after each step: first file (first run), second file (incremental run),
    a full rebuild, the version change (incremental), and its full rebuild."""
    w = module_warehouse.with_manifest(logs.MANIFEST)
    first, second = w.tmp / "auto" / "access-1.log", w.tmp / "auto2" / "access-2.log"
    logs.write(first, "\n".join(FIRST) + "\n")
    logs.write(second, "\n".join(SECOND) + "\n")
    assert w.load(first).ok
    run_dbt(w.settings, ["seed"], dbt_vars=N2)
    _run(w, N2)
    out = {"first": _flags(w), "daily_first": _daily(w), "exc_first": _exceptions(w)}
    assert w.load(second).ok
    _run(w, N2)
    out["incremental"], out["daily_incremental"] = _flags(w), _daily(w)
    out["exc_incremental"] = _exceptions(w)
    _run(w, N2)  # nothing new: nothing changes
    out["again"], out["exc_again"] = _daily(w), _exceptions(w)
    _run(w, N2, "--full-refresh")
    out["full"], out["daily_full"], out["exc_full"] = _flags(w), _daily(w), _exceptions(w)
    _run(w, N3)
    out["changed"], out["daily_changed"] = _flags(w), _daily(w)
    out["exc_changed"] = _exceptions(w)
    _run(w, N3, "--full-refresh")
    out["changed_full"], out["daily_changed_full"] = _flags(w), _daily(w)
    out["exc_changed_full"] = _exceptions(w)
    rows = w.query(
        "select ip_hash from int_download_automation where request_date = '2024-01-15' "
        "order by request_at"
    )
    out["hashes"] = {BURST: rows[0][0]}  # the burst address's first download, at 10:01
    return out


V2 = "rules 2; burst > 2 packages in 10 min"
V3 = "rules 2; burst > 3 packages in 10 min"


def test_user_agent_and_burst_flags(steps):
    reasons = [(p, r, v) for p, _, r, v in steps["first"]]
    assert reasons == [
        ("ACME", None, V2),  # the burst address: 2 packages so far, not more than 2
        ("a4Base", None, V2),
        ("ACME", "crawler:googlebot", V2),
        ("ACME", None, V2),
    ]
    reasons = [(p, r) for p, _, r, _ in steps["incremental"]]
    assert reasons == [
        ("ACME", "burst"),  # the second file's package makes 3 in the block: all flagged
        ("a4Base", "burst"),
        ("ACME", "crawler:googlebot"),
        ("ACME", None),
        ("oldpkg", "burst"),
    ]


def test_incremental_run_equals_full_build(steps):
    assert steps["incremental"] == steps["full"]


def test_a_new_rules_version_re_derives_every_flag(steps):
    assert [(p, r, v) for p, _, r, v in steps["changed"]] == [
        ("ACME", None, V3),
        ("a4Base", None, V3),
        ("ACME", "crawler:googlebot", V3),
        ("ACME", None, V3),
        ("oldpkg", None, V3),
    ]
    assert steps["changed"] == steps["changed_full"]


def test_daily_counts_separate_people_from_automation(steps):
    day14 = ("2024-01-14", "ACME", "", V2, 1)
    assert steps["daily_first"] == [
        day14,
        ("2024-01-15", "ACME", "", V2, 2),
        ("2024-01-15", "ACME", "crawler:googlebot", V2, 1),
        ("2024-01-15", "a4Base", "", V2, 1),
    ]
    # the second file turns two downloads of the first into a burst: the day is recounted
    # whole (the rows of '' for them are gone), the other day is left as it was
    assert steps["daily_incremental"] == [
        day14,
        ("2024-01-15", "ACME", "", V2, 1),
        ("2024-01-15", "ACME", "burst", V2, 1),
        ("2024-01-15", "ACME", "crawler:googlebot", V2, 1),
        ("2024-01-15", "a4Base", "burst", V2, 1),
        ("2024-01-15", "oldpkg", "burst", V2, 1),
    ]
    assert steps["daily_incremental"] == steps["daily_full"]


def test_a_new_rules_version_recounts_every_day(steps):
    assert steps["daily_changed"] == [
        ("2024-01-14", "ACME", "", V3, 1),
        ("2024-01-15", "ACME", "", V3, 2),
        ("2024-01-15", "ACME", "crawler:googlebot", V3, 1),
        ("2024-01-15", "a4Base", "", V3, 1),
        ("2024-01-15", "oldpkg", "", V3, 1),
    ]
    assert steps["daily_changed"] == steps["daily_changed_full"]


def test_only_what_decides_the_flags_is_stored(steps):
    """The burst blocks and the agents seen, not a row per download: after the first file,
    no burst yet (each day only its mark, with its newest file); after the second, the
    burst address's block of 10:00-10:09 (block 60) with its 3 packages."""
    first, second = steps["exc_first"], steps["exc_incremental"]
    assert [b[:4] for b in first["bursts"]] == [
        ("2024-01-14", "", -1, None),
        ("2024-01-15", "", -1, None),
    ]
    assert [b[:4] for b in second["bursts"]] == [
        ("2024-01-14", "", -1, None),
        ("2024-01-15", "", -1, None),
        ("2024-01-15", _hash(steps, BURST), 60, 3),
    ]
    # the day the second file touched is marked with it, the other keeps the first file
    marks = {b[0]: b[5] for b in second["bursts"] if b[2] == -1}
    assert marks["2024-01-15"] > marks["2024-01-14"]
    assert sorted((a[0], a[2]) for a in second["agents"]) == [
        (GOOGLEBOT, "crawler:googlebot"),
        (R_AGENT, None),
    ]


def test_stored_exceptions_incremental_equal_full_build(steps):
    assert steps["exc_incremental"] == steps["exc_full"]
    assert steps["exc_again"] == steps["exc_incremental"]
    assert steps["again"] == steps["daily_incremental"]
    assert steps["exc_changed"] == steps["exc_changed_full"]
    # the new rules (more than 3 packages) find no burst: the old block is gone
    assert [b[2] for b in steps["exc_changed"]["bursts"]] == [-1, -1]
    assert {b[4] for b in steps["exc_changed"]["bursts"]} == {V3}
    assert {a[3] for a in steps["exc_changed"]["agents"]} == {V3}
