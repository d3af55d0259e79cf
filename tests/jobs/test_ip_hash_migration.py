"""The IP hash (docs/privacy.md): HMAC-SHA-256 on every engine, and the migration of a
warehouse built by earlier versions (md5) to it.

The expected hashes are Python's own `hmac` and `hashlib.md5`, never the SQL's. One
warehouse per engine is built as the md5 versions built it (every day before the scheme's
boundary, here 9999, is hashed with md5: the old SQL, kept as `ip_hash_md5`), with its raw
requests of October to mid-December 2023 pruned, then migrated with `webstats
migrate-ip-hash`: 2024 is re-hashed, 2023 cannot be and keeps md5, and no count changes.
Logs of both years loaded afterwards are hashed each with its year's hash, so the counts of
December 2023 and of 2024 are the legacy generator's (tests/data/legacy/expected).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import TARGETS, Warehouse
from tests.models.test_legacy_counts import from_marts, package_tabs, parse_tab
from webstats.jobs.dbt import DbtError, build, run_dbt
from webstats.jobs.ip_hash import parse_result
from webstats.jobs.prune import prune

#: loaded before the migration (2023-12-30 and 31 come after it, with February 2024)
FIRST = ("2023-10", "2023-11", "2023-12-0", "2023-12-1", "2023-12-2", "2024-01")
LATER = ("2023-12-3", "2024-02")
#: the newest loaded day is 2024-01-31: 50 days kept, so 2023 loses its raw rows up to
#: 2023-12-12 and cannot be re-derived, 2024 can
KEEP_DAYS = 50
HASHED = ("int_package_requests", "downloads", "int_package_period_ips", "int_category_period_ips")


def md5_hash(ip: str) -> str:
    return hashlib.md5((os.environ["WEBSTATS_IP_SALT"] + ip).encode()).hexdigest()


def hmac_hash(ip: str) -> str:
    key = os.environ["WEBSTATS_IP_SALT"].encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def _table(w, table: str) -> list[tuple]:
    return sorted(w.rows(f"select * from {table}"), key=repr)


def _at(w, table: str) -> tuple[int, int]:
    """Positions of (ip_hash, the row's date) in the table's rows."""
    cols = w.columns(table)
    return cols.index("ip_hash"), cols.index("request_date" if "request_date" in cols else "date")


@dataclass
class Migrated:
    w: Warehouse
    ips: list[str]  # every client address loaded before the migration
    before: dict[str, list[tuple]]  # the hashed tables and the count marts, as built
    refused: str  # the build's error on the unmigrated warehouse (DuckDB)
    result: dict  # the migration's JSON step
    after: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def _migrated(new_warehouse, legacy) -> Callable[[str], Migrated]:
    """`_migrated(target)`: built and migrated once per engine and module, whatever order
    the tests run in (a parametrized module fixture was rebuilt when xdist interleaved
    the engines' tests)."""
    done: dict[str, Migrated] = {}

    def get(target: str) -> Migrated:
        if target not in done:
            done[target] = _build_and_migrate(new_warehouse(target), legacy)
        return done[target]

    return get


@pytest.fixture(params=TARGETS)
def migrated(request, _migrated) -> Migrated:
    return _migrated(request.param)


def _build_and_migrate(w: Warehouse, legacy) -> Migrated:
    w = w.with_manifest(legacy.manifest)
    w.execute(
        "create table ip_hash_scheme (hmac_from date not null, state varchar(16) not null, "
        "changed_at timestamp not null)"
    )
    w.execute("insert into ip_hash_scheme values ('9999-01-01', 'done', '2026-01-01')")
    w.load_and_build(legacy.log_dir(w.tmp / "logs", *FIRST), dbt_vars=legacy.dbt_vars)
    w.execute("drop table ip_hash_scheme")  # what a warehouse of the md5 versions has
    ips = [r[0] for r in w.query("select distinct client_ip from raw_requests")]
    tables = (*HASHED, "stats", "categorystats")
    before = {t: _table(w, t) for t in tables}
    refused = ""
    if w.target == "duckdb":  # the same check on both engines: one dbt run saved
        with pytest.raises(DbtError) as error:
            build(w.settings, dbt_vars=legacy.dbt_vars)
        refused = str(error.value)
    prune(w.settings, KEEP_DAYS)
    proc = w.cli("migrate-ip-hash", "--debug")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = w.json_lines(proc.stdout)[-1]
    after = {t: _table(w, t) for t in tables}
    return Migrated(w, ips, before, refused, result, after)


def test_the_old_warehouse_is_md5_and_refused_until_migrated(migrated):
    md5s = {md5_hash(ip) for ip in migrated.ips}
    for table in HASHED:
        ip_at, _ = _at(migrated.w, table)
        hashes = {row[ip_at] for row in migrated.before[table]}
        assert hashes and hashes <= md5s, table
    if migrated.w.target == "duckdb":
        assert "IP hashes are md5" in migrated.refused
        assert "webstats migrate-ip-hash" in migrated.refused


def test_the_years_with_raw_rows_are_rehashed_the_others_kept(migrated):
    m, w = migrated, migrated.w
    assert m.result["ok"] and m.result["changed"] and m.result["hmac_from"] == "2024-01-01"
    assert m.result["downloads"] > 0  # the rows of January 2024
    assert w.rows("select hmac_from, state from ip_hash_scheme") == [("2024-01-01", "done")]
    new_of = {md5_hash(ip): hmac_hash(ip) for ip in m.ips}
    for table in HASHED:
        ip_at, date_at = _at(w, table)
        expected = []
        for row in m.before[table]:
            row = list(row)
            if row[date_at] >= "2024-01-01":
                row[ip_at] = new_of[row[ip_at]]
            expected.append(tuple(row))
        assert m.after[table] == sorted(expected, key=repr), table
        years = {row[date_at][:4] for row in m.after[table]}
        assert years == {"2023", "2024"}, table


def test_the_counts_do_not_change_and_a_second_run_changes_nothing(migrated):
    m = migrated
    assert m.after["stats"] == m.before["stats"]
    assert m.after["categorystats"] == m.before["categorystats"]
    if m.w.target == "postgres":
        return  # the second run is the same SQL on both engines: one dbt run saved
    again = parse_result(run_dbt(m.w.settings, ["run-operation", "migrate_ip_hash"]))
    assert again == {"changed": False, "hmac_from": "2024-01-01"}
    assert {t: _table(m.w, t) for t in m.after} == m.after


def test_later_logs_take_their_years_hash_and_count_as_the_legacy_site(migrated, legacy):
    w = migrated.w
    last = w.query("select max(file_id) from load_ledger")[0][0]
    w.load_and_build(legacy.log_dir(w.tmp / "logs", *LATER), dbt_vars=legacy.dbt_vars)
    late = w.rows(
        "select d.file_id, d.request_at, d.request_date, d.ip_hash, r.client_ip "
        "from downloads d join raw_requests r "
        f"on r.file_id = d.file_id and r.request_at = d.request_at where d.file_id > {last}"
    )
    candidates: dict[tuple, set[str]] = {}
    for file_id, at, day, ip_hash, ip in late:  # one download, the addresses of its second
        expected = hmac_hash(ip) if day >= "2024-01-01" else md5_hash(ip)
        candidates.setdefault((file_id, at, ip_hash), set()).add(expected)
    assert {key[1][:4] for key in candidates} == {"2023", "2024"}
    assert all(key[2] in hashes for key, hashes in candidates.items())
    # every period loaded whole counts exactly as the legacy generator did: December 2023
    # (md5, raw rows partly pruned, days loaded after the migration) and 2024 (HMAC)
    periods = {(2023, "Dec"), (2024, "Jan"), (2024, "Feb"), (2024, "all")}
    checked = 0
    for tab in package_tabs(legacy.expected):
        expected = {k: v for k, v in parse_tab(tab).items() if k in periods and v != (0, 0)}
        got = from_marts(
            w.query(
                "select date, is_monthly, ip_count, download_count from stats where package = ?",
                (tab.parent.name,),
            )
        )
        assert {k: v for k, v in got.items() if k in periods} == expected, tab.parent.name
        checked += len(expected)
    assert checked > 10
