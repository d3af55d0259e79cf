"""`webstats prune`: old raw requests go, the marts stay exactly as they were."""

from __future__ import annotations

import datetime as dt


def test_prune_keeps_marts_and_later_refresh(warehouse, legacy, tmp_path, reference_2023):
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01", "2023-02", "2023-03", "2023-04")
    w.refresh(logs)
    before = w.marts(with_stamp=True)
    raw_before = w.rows("select count(*) from raw_requests")[0][0]

    proc = w.cli("prune", "--keep-days", "10")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = w.json_lines(proc.stdout)[-1]
    # relative to the newest loaded day (2023-04-30), not to today's date
    assert record["step"] == "prune" and record["cutoff_day"] == "2023-04-20"
    assert 0 < record["deleted"] < raw_before
    oldest = w.rows("select min(request_at) from raw_requests")[0][0]
    assert oldest >= "2023-04-20"
    assert w.rows("select count(*) from raw_requests")[0][0] == raw_before - record["deleted"]

    assert w.marts(with_stamp=True) == before  # not a byte of the marts moved

    # pruning again deletes nothing more; the next night's refresh is complete
    again = w.json_lines(w.cli("prune", "--keep-days", "10").stdout)[-1]
    assert again["deleted"] == 0
    legacy.log_dir(logs, "2023-")
    w.refresh(logs)
    assert w.marts() == reference_2023


def test_prune_keeps_rows_the_marts_have_not_consumed(warehouse, legacy, tmp_path):
    """Loaded but not yet built files (a failed build on Postgres) are never pruned."""
    w = warehouse.with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01")
    w.refresh(logs)
    later = legacy.log_dir(tmp_path / "later", "2023-03")
    w.load(later)  # loaded, not built
    proc = w.cli("prune", "--keep-days", "0")
    assert proc.returncode == 0, proc.stderr
    record = w.json_lines(proc.stdout)[-1]
    assert record["cutoff_day"] == "2023-03-31"
    left = w.rows("select min(request_at), count(*) from raw_requests")[0]
    assert left[0] >= dt.datetime(2023, 3, 1).isoformat(sep=" ")  # January's rows are gone
    march = w.rows("select count(*) from raw_requests where request_at >= '2023-03-01'")[0][0]
    assert left[1] == march  # but every unbuilt March row is still there


def test_rejects_follow_the_retention_of_raw_requests():
    """A file's rejected lines go with its raw requests: when its newest request is before
    the cutoff and the marts consumed it; unbuilt and recent files keep theirs. In memory,
    with the raw DDL and one-column stand-ins for the marts' watermarks (no dbt build)."""
    import duckdb

    from webstats.core.warehouse import Connection
    from webstats.ingest.rawstore import RAW_DDL
    from webstats.jobs.prune import WATERMARKS, prune_rows

    con = Connection("duckdb", duckdb.connect())
    for ddl in RAW_DDL:
        con.execute(ddl)
    for table, column in WATERMARKS:
        con.execute(f"create table {table} as select 2 as {column}")
    ledger = "insert into load_ledger values (?, ?, null, ?, 'cloudfront', 3, 2, 1, ?, ?, ?, null)"
    old, new = dt.datetime(2023, 1, 5), dt.datetime(2023, 3, 30)
    for file_id, last in ((1, old), (2, new), (3, old)):  # file 3: loaded, not built
        con.execute(ledger, [file_id, f"f{file_id}", f"h{file_id}", last, last, new])
        con.execute("insert into raw_requests (file_id, request_at) values (?, ?)", [file_id, last])
        con.execute("insert into load_rejects values (?, ?, 2, 'bad', '<ip> x')", [file_id, "f"])
    result = prune_rows(con, keep_days=30)
    assert (result["deleted"], result["rejects_deleted"]) == (1, 1)
    assert con.execute("select file_id from load_rejects order by 1").fetchall() == [(2,), (3,)]
    assert prune_rows(con, keep_days=30)["rejects_deleted"] == 0  # again: nothing more
