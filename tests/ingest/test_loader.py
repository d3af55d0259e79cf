"""`webstats load`: formats, compression, rejects, whole-file atomicity, idempotence."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys

import pytest

from webstats.ingest.formats import CLOUDFRONT_FIELDS as FIELDS_33
from webstats.ingest.formats import HISTORIC_FIELD_COUNTS
from webstats.ingest.loader import reparse_rejects

PKG = "/packages/3.18/bioc/src/contrib/ACME_2.58.0.tar.gz"


@pytest.fixture
def duck(new_warehouse):
    return new_warehouse("duckdb")


@pytest.mark.parametrize("n_fields", HISTORIC_FIELD_COUNTS)
def test_every_historic_cloudfront_field_set_loads(duck, tmp_path, n_fields, logs):
    reqs = [
        logs.req(PKG, ip="192.0.2.7", status=200),
        logs.req("/index.html", ip="2001:db8::1", status=404),
    ]
    logs.write(
        tmp_path / "logs" / f"E1.2024-01-15-10.{n_fields}.gz", logs.cloudfront(reqs, n_fields)
    )

    summary = duck.load(tmp_path / "logs")

    assert (summary.loaded, summary.rejected, summary.ok) == (2, 0, True)
    rows = duck.query(
        "select request_at, client_ip, method, uri_stem, status, edge_location, user_agent "
        "from raw_requests order by status",
    )
    assert [(str(r[0]), r[1], r[2], r[3], r[4]) for r in rows] == [
        ("2024-01-15 10:00:00", "192.0.2.7", "GET", PKG, 200),
        ("2024-01-15 10:00:00", "2001:db8::1", "GET", "/index.html", 404),
    ]
    assert rows[0][5] == "IAD89-P1"
    assert (rows[0][6] is not None) == ("cs(User-Agent)" in FIELDS_33[:n_fields])


@pytest.mark.parametrize("name", ["a.log", "a.log.gz", "a.log.bz2", "gzip-without-suffix"])
def test_plain_gzip_and_bz2_files_load(duck, tmp_path, name, logs):
    text = logs.cloudfront([logs.req(PKG), logs.req(PKG, ip="192.0.2.9")])
    path = tmp_path / name
    if name == "gzip-without-suffix":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        logs.write(path, text)

    summary = duck.load(path)

    assert (summary.loaded_files, summary.loaded) == (1, 2)
    assert duck.query("select log_format, line_count from load_ledger") == [("cloudfront", 2)]


def test_apache_common_and_combined_lines_load_in_utc(duck, tmp_path, logs):
    combined = logs.apache(logs.req(PKG, ip="198.51.100.4", query="x=1"))
    common = logs.apache(
        logs.req("/packages/3.18/bioc/src/contrib/a4Base_1.0.tar.gz"), combined=False
    )
    squid = (
        '203.0.113.5 - - [15/Jan/2024:12:30:00 +0200] "GET http://bioconductor.org'
        '/packages/devel/bioc/src/contrib/ACME_1.0.tar.gz HTTP/1.0" 200 99'
    )
    logs.write(tmp_path / "access.log.gz", "\n".join([combined, common, squid]) + "\n")

    summary = duck.load(tmp_path / "access.log.gz")

    assert (summary.loaded, summary.rejected) == (3, 0)
    rows = duck.query(
        "select client_ip, request_at, method, uri_stem, uri_query, status, user_agent "
        "from raw_requests order by client_ip",
    )
    assert [(r[0], str(r[1]), r[3], r[4], r[5]) for r in rows] == [
        (
            "192.0.2.1",
            "2024-01-15 10:00:00",
            "/packages/3.18/bioc/src/contrib/a4Base_1.0.tar.gz",
            None,
            200,
        ),
        ("198.51.100.4", "2024-01-15 10:00:00", PKG, "x=1", 200),
        (
            "203.0.113.5",
            "2024-01-15 10:30:00",
            "/packages/devel/bioc/src/contrib/ACME_1.0.tar.gz",
            None,
            200,
        ),
    ]
    assert rows[1][6] == "R (4.3.2 x86_64-pc-linux-gnu)"
    assert rows[0][6] is None


def test_malformed_lines_are_set_aside_with_line_and_reason(duck, tmp_path, logs):
    good = logs.cloudfront([logs.req(PKG), logs.req(PKG, ip="192.0.2.2")]).rstrip("\n").split("\n")
    short = "2024-01-15\t10:00:00\t192.0.2.3"
    bad_date = good[2].replace("2024-01-15", "2024-13-45", 1)
    bad_status = "\t".join(
        "2x0" if f == "sc-status" else v
        for f, v in zip(FIELDS_33, good[3].split("\t"), strict=True)
    )
    lines = [good[0], good[1], good[2], short, bad_date, good[3], bad_status]
    logs.write(tmp_path / "E1.2024-01-15-10.abc.gz", "\n".join(lines) + "\n")
    apache = [
        logs.apache(logs.req(PKG)),
        "this is not a log line",
        logs.apache(logs.req(PKG)).replace("15/Jan", "45/Jan"),
    ]
    logs.write(tmp_path / "access.log", "\n".join(apache) + "\n")

    summary = duck.load(tmp_path)

    assert (summary.loaded, summary.rejected, summary.ok) == (3, 5, True)
    rejects = duck.query(
        "select file_name, line_number, reason, line from load_rejects order by 1, 2"
    )
    assert [(r[0], r[1]) for r in rejects] == [
        ("E1.2024-01-15-10.abc.gz", 4),
        ("E1.2024-01-15-10.abc.gz", 5),
        ("E1.2024-01-15-10.abc.gz", 7),
        ("access.log", 2),
        ("access.log", 3),
    ]
    reasons = [r[2] for r in rejects]
    assert reasons[0].startswith("MISSING COLUMNS")
    assert reasons[1].startswith("CAST") and "2024-13-45" in reasons[1]
    assert reasons[2].startswith("CAST") and "2x0" in reasons[2]
    assert reasons[3] == "not an Apache/Squid/nginx access log line"
    assert reasons[4].startswith("bad timestamp")
    # No client address is kept outside raw_requests (issue 15): masked in line and reason.
    assert rejects[0][3] == short.replace("192.0.2.3", "<ip>")
    assert not [r for r in rejects if "192.0.2." in r[2] + r[3]]
    assert "<ip>" in rejects[1][3] and "<ip>" in rejects[2][3]
    ledger = duck.query(
        "select file_name, line_count, loaded_count, rejected_count from load_ledger order by 1",
    )
    assert ledger == [("E1.2024-01-15-10.abc.gz", 5, 2, 3), ("access.log", 3, 1, 2)]


def test_truncated_gzip_is_reported_and_nothing_of_it_loads(duck, tmp_path, logs):
    reqs = [logs.req(PKG, ip=f"10.0.{i // 250}.{i % 250}") for i in range(20000)]
    good = logs.write(tmp_path / "logs" / "E1.2024-01-15-10.good.gz", logs.cloudfront(reqs[:10]))
    whole = gzip.compress(logs.cloudfront(reqs).encode())
    (tmp_path / "logs" / "E1.2024-01-15-11.cut.gz").write_bytes(whole[: len(whole) // 2])

    summary = duck.load(tmp_path / "logs")

    assert not summary.ok
    assert len(summary.problems) == 1 and "E1.2024-01-15-11.cut.gz" in summary.problems[0]
    assert "nothing from it was loaded" in summary.problems[0]
    assert summary.loaded == 10
    assert duck.query("select file_name from load_ledger") == [(good.name,)]
    assert duck.query("select count(*) from raw_requests") == [(10,)]
    assert duck.query("select count(*) from load_rejects") == [(0,)]


def test_reloading_is_a_noop_and_a_changed_file_is_refused(duck, tmp_path, logs):
    path = logs.write(tmp_path / "E1.2024-01-15-10.x.gz", logs.cloudfront([logs.req(PKG)]))
    copy = tmp_path / "copy" / "renamed.gz"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert duck.load(path).loaded == 1

    again = duck.load(path, copy)
    assert (again.loaded_files, again.skipped_files, again.loaded, again.ok) == (0, 2, 0, True)

    changed = tmp_path / "other" / path.name
    logs.write(changed, logs.cloudfront([logs.req(PKG), logs.req(PKG)]))
    refused = duck.load(changed)
    assert not refused.ok and "already loaded" in refused.problems[0]
    assert duck.query("select count(*) from raw_requests") == [(1,)]


def test_postgres_load_matches_duckdb(new_warehouse, logs, tmp_path):
    reqs = [logs.req(PKG, ip=f"192.0.2.{i}", when=f"2024-01-15 10:00:{i:02d}") for i in range(30)]
    text = logs.cloudfront(reqs, extra_lines=["garbage\tline"])
    logs.write(tmp_path / "logs" / "E1.2024-01-15-10.a.gz", text)
    logs.write(tmp_path / "logs" / "access.log.bz2", logs.apache(logs.req(PKG)) + "\nnope\n")
    pg = new_warehouse("postgres")
    duck = new_warehouse("duckdb")

    summaries = [s.load(tmp_path / "logs") for s in (pg, duck)]

    assert [(s.loaded, s.rejected) for s in summaries] == [(31, 2), (31, 2)]
    sql = (
        "select file_id, request_at, client_ip, method, uri_stem, uri_query, status, bytes_sent "
        "from raw_requests order by file_id, request_at, client_ip"
    )
    assert pg.query(sql) == duck.query(sql)
    sql = "select file_id, file_name, line_number, reason from load_rejects order by 1, 3"
    assert pg.query(sql) == duck.query(sql)
    assert pg.load(tmp_path / "logs").loaded_files == 0


def test_cli_load_prints_a_summary_and_fails_on_a_bad_file(tmp_path, logs):
    logs.write(tmp_path / "logs" / "E1.2024-01-15-10.a.gz", logs.cloudfront([logs.req(PKG)]))
    (tmp_path / "logs" / "junk.gz").write_bytes(b"\x1f\x8b not really gzip")
    env = dict(os.environ, WEBSTATS_DUCKDB=str(tmp_path / "w.duckdb"), WEBSTATS_TARGET="duckdb")

    proc = subprocess.run(
        [sys.executable, "-m", "webstats.cli", "load", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        env=env,
    )

    assert proc.returncode == 1
    assert (
        "files: 2 (loaded 1, already loaded 0, failed 1); lines: 1 (loaded 1, rejected 0)"
        in proc.stdout
    )
    assert "junk.gz" in proc.stderr and "Traceback" not in proc.stderr


def test_header_only_and_empty_files_load_as_zero_lines(duck, tmp_path, logs):
    logs.write(tmp_path / "logs" / "E1.2024-01-01-00.empty.gz", logs.cloudfront([]))
    (tmp_path / "logs" / "zero-bytes.log").write_bytes(b"")

    summary = duck.load(tmp_path / "logs")

    assert (summary.loaded_files, summary.lines, summary.ok) == (2, 0, True)
    assert duck.query("select line_count from load_ledger") == [(0,), (0,)]


def test_a_grown_apache_log_loads_its_new_lines_as_a_new_version(duck, tmp_path, logs):
    path = tmp_path / "access.log"
    first = [logs.apache(logs.req(PKG, ip=f"192.0.2.{i}")) for i in range(3)]
    path.write_text("\n".join(first) + "\n")
    assert duck.load(path).loaded == 3
    more = [logs.apache(logs.req(PKG, ip=f"198.51.100.{i}")) for i in range(2)]
    with open(path, "a") as fh:
        fh.write(more[0] + "\nnot a line\n" + more[1] + "\n")

    grown = duck.load(path)

    assert (grown.loaded, grown.rejected, grown.ok) == (2, 1, True)
    assert duck.query("select line_number from load_rejects") == [(5,)]
    assert duck.query("select count(*), count(distinct client_ip) from raw_requests") == [(5, 5)]
    assert duck.query(
        "select file_name, line_count, byte_count from load_ledger order by file_id"
    ) == [("access.log", 3, len("\n".join(first)) + 1), ("access.log", 3, path.stat().st_size)]
    assert duck.load(path).loaded_files == 0
    path.write_text(more[0] + "\n")  # rotated: another file under the old name
    assert "already loaded" in duck.load(path).problems[0]


def test_an_unreadable_file_is_reported_and_the_others_load(duck, tmp_path, logs, monkeypatch):
    from webstats.ingest import loader

    good = logs.write(tmp_path / "E1.2024-01-15-10.a.gz", logs.cloudfront([logs.req(PKG)]))
    gone = tmp_path / "vanished.log"
    monkeypatch.setattr(loader, "discover", lambda paths: [gone, good])

    summary = duck.load(tmp_path)

    assert (summary.loaded, len(summary.problems)) == (1, 1)
    assert summary.problems[0].startswith(f"{gone}: cannot read")


@pytest.mark.parametrize("name", ["E1.2024-01-15-10.a", "E1.2024-01-15-10.a.bz2"])
def test_a_cloudfront_file_is_hashed_and_parsed_from_one_read(
    duck, tmp_path, logs, monkeypatch, name
):
    """The file changes after it was first hashed (to look it up in the ledger) and before
    it is parsed: the ledger records the hash and size of the content parsed, not of the
    version first hashed."""
    import hashlib

    from webstats.ingest import loader

    path = logs.write(tmp_path / name, logs.cloudfront([logs.req(PKG)]))
    grown = logs.cloudfront([logs.req(PKG), logs.req(PKG, ip="192.0.2.8")])
    real_prepare = loader.prepare

    def prepare_then_change(*args):
        todo = real_prepare(*args)
        logs.write(path, grown)  # between the ledger look-up and the parse
        return todo

    monkeypatch.setattr(loader, "prepare", prepare_then_change)
    summary = duck.load(path)

    assert (summary.loaded, summary.ok) == (2, True)
    data = path.read_bytes()
    assert duck.query("select content_sha256, byte_count, line_count from load_ledger") == [
        (hashlib.sha256(data).hexdigest(), len(data), 2)
    ]


def test_a_file_whose_lines_are_all_rejected_fails_and_stays_unloaded(duck, tmp_path, logs):
    bad = tmp_path / "logs" / "bad.log"
    bad.parent.mkdir()
    bad.write_text('10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "-" 400 0\n' * 3)
    logs.write(tmp_path / "logs" / "good.log", logs.apache(logs.req(PKG)) + "\n")

    summary = duck.load(tmp_path / "logs")

    assert summary.loaded == 1 and len(summary.problems) == 1
    assert "bad.log: all 3 lines were rejected" in summary.problems[0]
    assert duck.query("select file_name from load_ledger") == [("good.log",)]
    assert duck.query("select count(*) from load_rejects") == [(0,)]


def test_reparse_rejects_loads_what_the_parser_now_accepts_once(warehouse, tmp_path, logs):
    """The state an older parser left (line 2 rejected, e.g. nginx `main`) is simulated by
    moving a loaded line back to the rejects; a fresh warehouse per engine."""
    from webstats.core.warehouse import connect

    nginx = logs.apache(logs.req(PKG, ip="198.51.100.2")) + ' "-"'
    lines = [logs.apache(logs.req(PKG)), nginx, "not a line"]
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    assert warehouse.load(path).loaded == 2
    with connect(warehouse.settings) as con, con.transaction():
        con.execute("delete from raw_requests where client_ip = '198.51.100.2'")
        con.execute(
            "insert into load_rejects values (1, 'access.log', 2, 'not an Apache line', ?)",
            [nginx],
        )
        con.execute("update load_ledger set loaded_count = 1, rejected_count = 2")

    first = reparse_rejects(warehouse.settings)
    again = reparse_rejects(warehouse.settings)

    assert (first.loaded, first.ok, again.loaded, again.ok) == (1, True, 0, True)
    assert warehouse.query("select client_ip, file_id from raw_requests order by 1") == [
        ("192.0.2.1", 1),
        ("198.51.100.2", 2),
    ]
    assert warehouse.query("select line_number from load_rejects") == [(3,)]
    assert warehouse.query(
        "select file_id, line_count, loaded_count, rejected_count from load_ledger order by 1"
    ) == [(1, 2, 1, 1), (2, 1, 1, 0)]
    assert warehouse.load(path).loaded_files == 0


def test_an_overlong_cloudfront_line_is_rejected_not_lost(duck, tmp_path, logs):
    lines = logs.cloudfront([logs.req(PKG), logs.req(PKG), logs.req(PKG)]).split("\n")
    fields = lines[3].split("\t")
    fields[10] = "x" * 2_000_000  # a 2 MB user agent: over the 1 MiB line limit
    lines[3] = "\t".join(fields)
    logs.write(tmp_path / "E1.2024-01-15-10.long.gz", "\n".join(lines))

    summary = duck.load(tmp_path)

    assert (summary.loaded, summary.rejected, summary.ok) == (2, 1, True)
    assert duck.query("select line_number, reason like 'LINE SIZE%' from load_rejects") == [
        (4, True)
    ]
    assert duck.query("select line_count from load_ledger") == [(3,)]


def test_a_legacy_archive_loads_once_in_the_generators_sqlite_schema(warehouse, tmp_path, logs):
    """The legacy generator's SQLite version (status column `errorcode`): an IP list, a
    Latin-1 user agent, an escaped quote; a database without `access_log` is reported and
    the other still loads; a second load finds it loaded. Both engines."""
    import sqlite3

    MARCH_1 = dt.date(2009, 3, 1)  # noqa: N806
    url = "http://bioconductor.org" + PKG
    rows = [
        ("192.0.2.5, 10.0.0.1", "01/Mar/2009", "08:00:00", "+0100", "GET", url, "HTTP/1.0",
         "200", 10, None),
        ("192.0.2.6", "01/Mar/2009", "09:00:00", "+0100", "GET", PKG + '"x', "HTTP/1.1",
         "200", None, b"caf\xe9"),
    ]  # fmt: skip
    db = logs.legacy_db(tmp_path / "logs" / "download_db_2009.sqlite", rows, status="errorcode")
    sqlite3.connect(tmp_path / "logs" / "other.sqlite").execute("create table t (a)").close()

    summary = warehouse.load(tmp_path / "logs")
    again = warehouse.load(db)

    assert (summary.loaded_files, summary.loaded, summary.rejected) == (1, 2, 0)
    assert summary.problems == [
        f"{tmp_path / 'logs' / 'other.sqlite'}: a SQLite database without an access_log "
        "table; nothing from it was loaded"
    ]
    assert warehouse.query(
        "select request_at, client_ip, uri_stem, status, bytes_sent, user_agent, local_date "
        "from raw_requests order by request_at"
    ) == [
        (dt.datetime(2009, 3, 1, 7), "192.0.2.5", PKG, 200, 10, None, MARCH_1),
        (dt.datetime(2009, 3, 1, 8), "192.0.2.6", PKG + '"x', 200, None, "café", MARCH_1),
    ]
    assert warehouse.query("select log_format, line_count from load_ledger") == [
        ("legacy-sqlite", 2)
    ]
    assert (again.loaded_files, again.skipped_files) == (0, 1)

    # as an older parser would have left it (row 2 rejected): --reparse-rejects loads it
    from webstats.core.warehouse import connect

    with connect(warehouse.settings) as con, con.transaction():
        con.execute("delete from raw_requests where client_ip = '192.0.2.6'")
        con.execute("insert into load_rejects values (1, ?, 2, 'old parser', 'x')", [db.name])
        con.execute("update load_ledger set loaded_count = 1, rejected_count = 1")
    fixed = reparse_rejects(warehouse.settings)
    assert (fixed.loaded, fixed.ok) == (1, True)
    assert warehouse.query("select count(*) from load_rejects") == [(0,)]
    assert warehouse.query("select client_ip from raw_requests order by 1") == [
        ("192.0.2.5",),
        ("192.0.2.6",),
    ]


def test_prefetched_chunks_keep_order_raise_where_the_source_fails_and_stop_early():
    from webstats.ingest.linestream import prefetched

    closed: list[bool] = []

    def source(fail: bool):
        try:
            yield 1
            yield 2
            if fail:
                raise OSError("disk gone")
            yield 3
        finally:
            closed.append(True)

    assert list(prefetched(source(False))) == [1, 2, 3]
    got = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetched(source(True)):
            got.append(item)
    assert got == [1, 2]
    for _item in prefetched(source(False)):
        break  # the consumer stops: the producer thread ends and closes its source
    assert closed == [True, True, True]
