"""`webstats prune --keep-days N`: drop raw requests the marts no longer need.

`raw_requests` is the only table that grows with every log line (and the only one holding
raw IPs); `load_rejects` keeps the malformed lines (addresses masked) under the same
retention. Once a request's log file has gone through the incremental build, `downloads`
and the rollups hold everything the site needs from it, so old raw rows can go. Kept:
the last N days before the newest loaded day (the data decides, not the wall clock, so
a job that was down for a week does not prune more), and every row of a log file that a
mart has not consumed yet (file id above the marts' watermark). The marts are never
touched, and `load_ledger` keeps every file, so pruned files are not loaded again.

`--full-refresh` rebuilds the rollups from `downloads` but never `downloads` itself (it is
configured so), so pruning cannot make a later rebuild lose history; only an explicit
`--vars '{rebuild_downloads: true}'` re-derives it from the remaining raw rows.
"""

from __future__ import annotations

import datetime as dt

from webstats.core.settings import Settings
from webstats.core.warehouse import Connection

from .stage import change_raw_tables

#: the incremental models and their watermark columns: a file is consumed when all saw it
#: (int_package_requests is the one that reads raw requests)
WATERMARKS = (
    ("int_package_requests", "file_id"),
    ("downloads", "file_id"),
    ("stats", "source_file_id"),
    ("categorystats", "source_file_id"),
    ("hourly_downloads", "source_file_id"),
    ("int_log_file_hours", "file_id"),
    ("daily_package_downloads", "source_file_id"),
    ("daily_downloads", "source_file_id"),
)


class NothingBuilt(RuntimeError):
    """The marts do not exist yet; nothing can be pruned safely."""


def consumed_watermark(con: Connection) -> int:
    """The largest log file id every incremental mart has consumed."""
    marks = []
    for table, column in WATERMARKS:
        try:
            marks.append(
                con.execute(f"select coalesce(max({column}), 0) from {table}").fetchone()[0]
            )
        except Exception as exc:
            raise NothingBuilt(f"no {table} table yet: build before pruning") from exc
    ledger_max = con.execute("select coalesce(max(file_id), 0) from load_ledger").fetchone()[0]
    # a mart whose newest files held no downloads lags behind; the ledger bounds them all
    return min([ledger_max, *[m for m in marks if m > 0]])


def prune_rows(con: Connection, keep_days: int) -> dict:
    """Delete prunable rows through `con` (in the caller's transaction); return the counts."""
    newest = con.execute("select max(last_request_at) from load_ledger").fetchone()[0]
    if newest is None:
        return {"deleted": 0, "newest_day": None, "cutoff_day": None, "watermark": 0}
    watermark = consumed_watermark(con)
    cutoff = newest.date() - dt.timedelta(days=keep_days)
    cutoff_at = dt.datetime.combine(cutoff, dt.time())
    where = "where request_at < ? and file_id <= ?"
    deleted = con.execute(
        f"select count(*) from raw_requests {where}", [cutoff_at, watermark]
    ).fetchone()[0]
    con.execute(f"delete from raw_requests {where}", [cutoff_at, watermark])
    return {
        "deleted": int(deleted),
        "rejects_deleted": prune_rejects(con, cutoff_at, watermark),
        "newest_day": str(newest.date()),
        "cutoff_day": str(cutoff),
        "watermark": int(watermark),
    }


def prune_rejects(con: Connection, cutoff_at: dt.datetime, watermark: int) -> int:
    """Rejected lines follow their file's raw requests (docs/privacy.md): they go when the
    file's newest request (or, for a file with none readable, its load time) is before the
    cutoff and the marts have consumed the file. Returns how many were deleted."""
    where = (
        "where file_id <= ? and file_id in (select file_id from load_ledger "
        "where coalesce(last_request_at, loaded_at) < ?)"
    )
    params = [watermark, cutoff_at]
    deleted = con.execute(f"select count(*) from load_rejects {where}", params).fetchone()[0]
    con.execute(f"delete from load_rejects {where}", params)
    return int(deleted)


def prune(settings: Settings, keep_days: int) -> dict:
    """Prune under the writer lock, all at once (webstats.jobs.stage.change_raw_tables)."""
    if keep_days < 0:
        raise ValueError("--keep-days must be 0 or more")
    result: dict = {}
    change_raw_tables(settings, lambda con: result.update(prune_rows(con, keep_days)))
    return result
