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
