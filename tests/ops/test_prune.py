"""`webstats prune`: old raw requests go, the marts stay exactly as they were."""

from __future__ import annotations

import datetime as dt

from opshelp import isolated, json_lines, log_dir, marts, query, refresh, run_cli


def test_prune_keeps_marts_and_later_refresh(target_settings, tmp_path, reference_2023):
    settings = isolated(target_settings, tmp_path)
    logs = log_dir(tmp_path / "logs", "2023-01", "2023-02", "2023-03", "2023-04")
    refresh(settings, logs)
    before = marts(settings, with_stamp=True)
    raw_before = query(settings, "select count(*) from raw_requests")[0][0]

    proc = run_cli(settings, "prune", "--keep-days", "10")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = json_lines(proc.stdout)[-1]
    # relative to the newest loaded day (2023-04-30), not to today's date
    assert record["step"] == "prune" and record["cutoff_day"] == "2023-04-20"
    assert 0 < record["deleted"] < raw_before
    oldest = query(settings, "select min(request_at) from raw_requests")[0][0]
    assert oldest >= "2023-04-20"
    assert (
        query(settings, "select count(*) from raw_requests")[0][0] == raw_before - record["deleted"]
    )

    assert marts(settings, with_stamp=True) == before  # not a byte of the marts moved

    # pruning again deletes nothing more; the next night's refresh is complete
    again = json_lines(run_cli(settings, "prune", "--keep-days", "10").stdout)[-1]
    assert again["deleted"] == 0
    log_dir(logs, "2023-")
    refresh(settings, logs)
    assert marts(settings) == reference_2023


def test_prune_keeps_rows_the_marts_have_not_consumed(target_settings, tmp_path):
    """Loaded but not yet built files (a failed build on Postgres) are never pruned."""
    from webstats.loader import load_paths

    settings = isolated(target_settings, tmp_path)
    logs = log_dir(tmp_path / "logs", "2023-01")
    refresh(settings, logs)
    later = log_dir(tmp_path / "later", "2023-03")
    load_paths(settings, [later], progress=False)  # loaded, not built
    proc = run_cli(settings, "prune", "--keep-days", "0")
    assert proc.returncode == 0, proc.stderr
    record = json_lines(proc.stdout)[-1]
    assert record["cutoff_day"] == "2023-03-31"
    left = query(settings, "select min(request_at), count(*) from raw_requests")[0]
    assert left[0] >= dt.datetime(2023, 3, 1).isoformat(sep=" ")  # January's rows are gone
    march = query(settings, "select count(*) from raw_requests where request_at >= '2023-03-01'")[
        0
    ][0]
    assert left[1] == march  # but every unbuilt March row is still there
