"""stats, categorystats, package_scores and webstats_info on hand-made logs, exact values.

The data (all bioc):
  ACME    2023-03: 12 IPs once each; 2023-12: ip1; 2024-01: ip1 x2, ip2; 2024-02: ip1, ip3
  a4Base  2024-01: ip4
  oldpkg  2023-01: ip5 (deprecated: last_version 3.10)
Last log day 2024-02-20 -> as-of 2024-02-21 -> score window 2023-02 .. 2024-01.

Local-time sources near midnight (docs/rules.md, periods), loaded in the same build:
  airway (experiment), an Apache log: 31/Dec/2010:23:30 -0800 (UTC 2011-01-01 07:30),
    01/Jan/2011:00:10 +0100 (UTC 2010-12-31 23:10), 28/Feb/2011:22:00 -0500 (UTC 03-01 03:00)
  org.Hs.eg.db (annotation), a legacy SQLite archive: 31/Dec/2009:23:59:59 -0800 (UTC
    2010-01-01), a CloudFront row (-0000) of 01/Jan/2010, and a row with a bad date
"""

from __future__ import annotations

import datetime as dt

import pytest

from webstats.jobs.dbt import DbtError, run_dbt

SRC = "/packages/3.18/bioc/src/contrib/"


def reqs(logs) -> list:
    out = [
        logs.req(SRC + "ACME_1.0.tar.gz", ip=f"10.1.0.{i}", when="2023-03-05 01:00:00")
        for i in range(12)
    ]
    out += [
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2023-12-31 23:59:59"),
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-01 00:00:00"),
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-10 08:00:00"),
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip2", when="2024-01-31 23:00:00"),
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-02-01 00:30:00"),
        logs.req(SRC + "ACME_1.0.tar.gz", ip="ip3", when="2024-02-20 12:00:00"),
        logs.req(SRC + "a4Base_1.0.tar.gz", ip="ip4", when="2024-01-15 09:00:00"),
        logs.req(SRC + "oldpkg_1.0.tar.gz", ip="ip5", when="2023-01-02 03:00:00"),
        logs.req("/index.html", ip="ip9", when="2024-02-20 13:00:00"),  # last log day, no download
    ]
    # 2024-02-19: a request in every UTC hour, none a download (a complete day of logs)
    out += [logs.req("/index.html", ip="ip9", when=f"2024-02-19 {h:02d}:10:00") for h in range(24)]
    return out


EXP = "/packages/2.7/data/experiment/src/contrib/airway_1.0.tar.gz"
ANN = "/packages/2.5/data/annotation/src/contrib/org.Hs.eg.db_2.3.6.tar.gz"
LOCAL_APACHE = (
    f'10.9.0.1 - - [31/Dec/2010:23:30:00 -0800] "GET {EXP} HTTP/1.1" 200 99 "-" "R"\n'
    f'10.9.0.2 - - [01/Jan/2011:00:10:00 +0100] "GET {EXP} HTTP/1.1" 200 99 "-" "R"\n'
    f'10.9.0.1 - - [28/Feb/2011:22:00:00 -0500] "GET {EXP} HTTP/1.1" 200 99 "-" "R"\n'
)
LEGACY_ROWS = [
    # a Squid row: an X-Forwarded-For list, an absolute-form URL
    ("10.8.0.1, 10.8.0.9", "31/Dec/2009", "23:59:59", "-0800", "GET",
     "http://bioconductor.org" + ANN, "HTTP/1.0", "200", 1234, None),
    ("10.8.0.2", "01/Jan/2010", "00:00:01", "-0000", "GET", ANN, "HTTP/1.1", "200", None, None),
    ("10.8.0.3", "99/Foo/2010", "00:00:01", "-0000", "GET", ANN, "HTTP/1.1", "200", 1, None),
]  # fmt: skip


@pytest.fixture(scope="module")
def built(module_warehouse, logs):
    w = module_warehouse.with_manifest(logs.MANIFEST)
    logs.write(w.tmp / "rollup-logs" / "E1.2024-02-20-13.r.gz", logs.cloudfront(reqs(logs)))
    logs.write(w.tmp / "rollup-logs" / "access.log", LOCAL_APACHE)
    logs.legacy_db(w.tmp / "rollup-logs" / "download_db_2009.sqlite", LEGACY_ROWS)
    summary = w.load_and_build(w.tmp / "rollup-logs", dbt_vars=logs.VERSIONS)
    assert (summary.ok, summary.loaded, summary.rejected) == (True, 50, 1), summary.problems
    return w


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_package_months_and_years(built):
    rows = built.query(
        "select package, date, is_monthly, ip_count, download_count from stats "
        "where category = 'bioc' order by package, is_monthly, date",
    )
    assert rows == [
        ("ACME", d("2023-12-31"), False, 13, 13),
        ("ACME", d("2024-12-31"), False, 3, 5),  # ip1, ip2, ip3: not 2 + 2
        ("ACME", d("2023-03-01"), True, 12, 12),
        ("ACME", d("2023-12-01"), True, 1, 1),
        ("ACME", d("2024-01-01"), True, 2, 3),
        ("ACME", d("2024-02-01"), True, 2, 2),
        ("a4Base", d("2024-12-31"), False, 1, 1),
        ("a4Base", d("2024-01-01"), True, 1, 1),
        ("oldpkg", d("2023-12-31"), False, 1, 1),
        ("oldpkg", d("2023-01-01"), True, 1, 1),
    ]


def test_category_months_and_years(built):
    rows = built.query(
        "select category, date, is_monthly, ip_count, download_count from categorystats "
        "where category = 'bioc' order by is_monthly, date",
    )
    assert rows == [
        ("bioc", d("2023-12-31"), False, 14, 14),
        ("bioc", d("2024-12-31"), False, 4, 6),
        ("bioc", d("2023-01-01"), True, 1, 1),
        ("bioc", d("2023-03-01"), True, 12, 12),
        ("bioc", d("2023-12-01"), True, 1, 1),
        ("bioc", d("2024-01-01"), True, 3, 4),
        ("bioc", d("2024-02-01"), True, 2, 2),
    ]


def test_scores_ranks_and_release_membership(built):
    rows = built.query(
        "select package, score, rank, in_release, in_devel from package_scores "
        "where category = 'bioc' order by rank",
    )
    # ACME: (12 + 1 + 2) / 12 -> 2; a4Base: 1 / 12 -> 1; oldpkg: outside the window -> 0
    assert rows == [
        ("ACME", 2, 1, True, True),
        ("a4Base", 1, 2, True, True),
        ("oldpkg", 0, 3, False, False),
    ]


def test_build_info(built):
    ((valid_thru, as_of, built_at, release, devel),) = built.query(
        "select valid_thru, as_of_date, built_at, bioc_release, bioc_devel from webstats_info",
    )
    assert (valid_thru, as_of, release, devel) == (d("2024-02-20"), d("2024-02-21"), "3.18", "3.19")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((now - built_at).total_seconds()) < 3600  # UTC, not local time


def test_hourly_downloads(built):
    rows = built.query(
        "select hour_at, package, downloads from hourly_downloads "
        "where hour_at >= '2024-01-01' and hour_at < '2024-02-01' order by 1, 2",
    )
    assert rows == [
        (dt.datetime(2024, 1, 1, 0), "ACME", 1),
        (dt.datetime(2024, 1, 10, 8), "ACME", 1),
        (dt.datetime(2024, 1, 15, 9), "a4Base", 1),
        (dt.datetime(2024, 1, 31, 23), "ACME", 1),
    ]


def test_log_coverage(built):
    """Per UTC day: files, lines (any request), first and last time, hours, completeness."""
    rows = built.query(
        "select log_date, log_files, line_count, first_request_at, last_request_at, "
        "hours_with_requests, is_complete from log_coverage order by log_date"
    )
    t = dt.datetime.fromisoformat
    assert rows == [
        (d("2010-01-01"), 1, 2, t("2010-01-01 00:00:01"), t("2010-01-01 07:59:59"), 2, False),
        (d("2010-12-31"), 1, 1, t("2010-12-31 23:10"), t("2010-12-31 23:10"), 1, False),
        (d("2011-01-01"), 1, 1, t("2011-01-01 07:30"), t("2011-01-01 07:30"), 1, False),
        (d("2011-03-01"), 1, 1, t("2011-03-01 03:00"), t("2011-03-01 03:00"), 1, False),
        (d("2023-01-02"), 1, 1, t("2023-01-02 03:00"), t("2023-01-02 03:00"), 1, False),
        (d("2023-03-05"), 1, 12, t("2023-03-05 01:00"), t("2023-03-05 01:00"), 1, False),
        (d("2023-12-31"), 1, 1, t("2023-12-31 23:59:59"), t("2023-12-31 23:59:59"), 1, False),
        (d("2024-01-01"), 1, 1, t("2024-01-01 00:00"), t("2024-01-01 00:00"), 1, False),
        (d("2024-01-10"), 1, 1, t("2024-01-10 08:00"), t("2024-01-10 08:00"), 1, False),
        (d("2024-01-15"), 1, 1, t("2024-01-15 09:00"), t("2024-01-15 09:00"), 1, False),
        (d("2024-01-31"), 1, 1, t("2024-01-31 23:00"), t("2024-01-31 23:00"), 1, False),
        (d("2024-02-01"), 1, 1, t("2024-02-01 00:30"), t("2024-02-01 00:30"), 1, False),
        (d("2024-02-19"), 1, 24, t("2024-02-19 00:10"), t("2024-02-19 23:10"), 24, True),
        (d("2024-02-20"), 1, 2, t("2024-02-20 12:00"), t("2024-02-20 13:00"), 2, False),
    ]
    (name,) = built.query("select last_file_name from webstats_info")[0]
    assert name == "E1.2024-02-20-13.r.gz"
def test_local_time_requests_count_in_the_month_and_year_of_their_local_day(built):
    rows = built.query(
        "select package, date, is_monthly, ip_count, download_count from stats "
        "where category <> 'bioc' order by package, is_monthly, date",
    )
    assert rows == [
        ("airway", d("2010-12-31"), False, 1, 1),  # 31 Dec 23:30 -0800, 07:30 UTC in 2011
        ("airway", d("2011-12-31"), False, 2, 2),
        ("airway", d("2010-12-01"), True, 1, 1),
        ("airway", d("2011-01-01"), True, 1, 1),  # 1 Jan 00:10 +0100, still 2010 in UTC
        ("airway", d("2011-02-01"), True, 1, 1),  # 28 Feb 22:00 -0500, 1 March in UTC
        ("org.Hs.eg.db", d("2009-12-31"), False, 1, 1),
        ("org.Hs.eg.db", d("2010-12-31"), False, 1, 1),
        ("org.Hs.eg.db", d("2009-12-01"), True, 1, 1),
        ("org.Hs.eg.db", d("2010-01-01"), True, 1, 1),
    ]
    categories = built.query(
        "select category, date, download_count from categorystats "
        "where category <> 'bioc' and is_monthly order by 1, 2"
    )
    assert categories == [
        ("annotation", d("2009-12-01"), 1),
        ("annotation", d("2010-01-01"), 1),
        ("experiment", d("2010-12-01"), 1),
        ("experiment", d("2011-01-01"), 1),
        ("experiment", d("2011-02-01"), 1),
    ]


def test_local_time_requests_keep_their_utc_hour(built):
    rows = built.query(
        "select hour_at, package, downloads from hourly_downloads "
        "where category <> 'bioc' order by 1",
    )
    assert rows == [
        (dt.datetime(2010, 1, 1, 0), "org.Hs.eg.db", 1),
        (dt.datetime(2010, 1, 1, 7), "org.Hs.eg.db", 1),
        (dt.datetime(2010, 12, 31, 23), "airway", 1),
        (dt.datetime(2011, 1, 1, 7), "airway", 1),
        (dt.datetime(2011, 3, 1, 3), "airway", 1),
    ]


def test_the_legacy_archive_loads_once_with_its_rejects_masked(built):
    assert built.query(
        "select log_format, line_count, loaded_count, rejected_count from load_ledger "
        "where file_name = 'download_db_2009.sqlite'"
    ) == [("legacy-sqlite", 3, 2, 1)]
    rows = built.query(
        "select r.request_at, r.client_ip, r.method, r.uri_stem, r.status, r.bytes_sent, "
        "r.local_date from raw_requests as r join load_ledger as l using (file_id) "
        "where l.file_name = 'download_db_2009.sqlite' order by 1"
    )
    assert rows == [
        (dt.datetime(2010, 1, 1, 0, 0, 1), "10.8.0.2", "GET", ANN, 200, None, d("2010-01-01")),
        (dt.datetime(2010, 1, 1, 7, 59, 59), "10.8.0.1", "GET", ANN, 200, 1234, d("2009-12-31")),
    ]
    ((number, reason, line),) = built.query(
        "select line_number, reason, line from load_rejects "
        "where file_name = 'download_db_2009.sqlite'"
    )
    assert (number, reason) == (3, "bad timestamp: 99/Foo/2010:00:00:01 -0000")
    assert line.startswith("<ip> - - [99/Foo/2010:00:00:01 -0000]") and "10.8" not in line
    again = built.load(built.tmp / "rollup-logs")
    assert (again.loaded_files, again.skipped_files, again.loaded) == (0, 3, 0)


def test_full_refresh_keeps_the_download_record(new_warehouse, logs):
    """After raw requests are gone (pruned), --full-refresh rebuilds rollups from downloads."""
    w = new_warehouse("duckdb").with_manifest(logs.MANIFEST)
    logs.write(w.tmp / "logs" / "E1.2024-02-20-13.r.gz", logs.cloudfront(reqs(logs)))
    w.load_and_build(w.tmp / "logs", dbt_vars=logs.VERSIONS)
    sql = "select package, date, is_monthly, ip_count, download_count from stats order by 1, 2, 3"
    before = w.query(sql)
    w.execute("delete from raw_requests where request_at < '2024-02-01'")

    w.build(logs.VERSIONS, full_refresh=True)

    assert w.query("select count(*) from downloads") == [(20,)]  # 18 ACME + 2
    assert w.query(sql) == before


def test_ip_triples_grow_by_unseen_ones_and_a_stored_twice_triple_fails(warehouse, logs, tmp_path):
    """A later day adds only the (period, IP) triples not stored yet; a duplicate is caught.

    ip1 and ip2 fetch ACME on 2024-01-10; on 2024-01-11 ip1 comes back and ip3 is new.
    """

    def acme(when: str, *ips: str) -> list:
        return [logs.req(SRC + "ACME_1.0.tar.gz", ip=ip, when=when) for ip in ips]

    day1 = acme("2024-01-10 08:00:00", "ip1", "ip2")
    day2 = acme("2024-01-11 08:00:00", "ip1", "ip3")
    logs.write(tmp_path / "d1" / "E1.2024-01-10-08.a.gz", logs.cloudfront(day1))
    logs.write(tmp_path / "d2" / "E1.2024-01-11-08.b.gz", logs.cloudfront(day2))
    w = warehouse.with_manifest(logs.MANIFEST)
    w.load_and_build(tmp_path / "d1", dbt_vars=logs.VERSIONS)
    assert w.load(tmp_path / "d2").ok
    w.build(logs.VERSIONS)

    per_batch = (
        "select batch_file_id, is_monthly, count(*) from int_package_period_ips "
        "group by 1, 2 order by 1, 2"
    )
    assert w.query(per_batch) == [(1, False, 2), (1, True, 2), (2, False, 1), (2, True, 1)]
    assert w.query("select is_monthly, ip_count, download_count from stats order by 1") == [
        (False, 3, 4),
        (True, 3, 4),
    ]

    # a run that appended a triple twice, or one already stored, would count its IP twice
    run_tests = ["test", "--select", "int_package_period_ips"]
    copy_rows = (
        "insert into int_package_period_ips select category, package, date, is_monthly, "
        "ip_hash, {batch} from int_package_period_ips where batch_file_id = {of_batch}"
    )
    w.execute(copy_rows.format(batch=2, of_batch=2))  # twice within the newest run
    with pytest.raises(DbtError, match="unique_combination_int_package_period_ips"):
        run_dbt(w.settings, run_tests, logs.VERSIONS)
    w.execute(copy_rows.format(batch=3, of_batch=1))  # a new run repeating old rows
    with pytest.raises(DbtError, match="unique_combination_int_package_period_ips"):
        run_dbt(w.settings, run_tests, logs.VERSIONS)


def test_a_null_in_a_mart_column_fails_its_not_null_columns_test(warehouse, logs, tmp_path):
    """The one null check per model fails with one result row per column holding nulls."""

    logs.write(tmp_path / "logs" / "E1.2024-02-20-13.r.gz", logs.cloudfront(reqs(logs)))
    w = warehouse.with_manifest(logs.MANIFEST)
    w.load_and_build(tmp_path / "logs", dbt_vars=logs.VERSIONS)
    run_tests = ["test", "--select", "stats,test_name:not_null_columns"]
    run_dbt(w.settings, run_tests, logs.VERSIONS)  # passes on the built warehouse

    w.execute("update stats set download_count = null where package = 'a4Base'")
    with pytest.raises(DbtError, match="not_null_columns_stats") as failure:
        run_dbt(w.settings, run_tests, logs.VERSIONS)
    assert "Got 1 result" in str(failure.value)


def test_a_nightly_build_checks_the_rows_since_the_last_complete_build(warehouse, logs, tmp_path):
    """Checks of append-only tables start past webstats_info.checked_thru_file_id in a build.

    Old rows are left to `dbt test`; rows of a build that failed its checks stay past the
    mark and are checked again by the next build.
    """

    day1 = [logs.req(SRC + "ACME_1.0.tar.gz", ip="ip1", when="2024-01-10 08:00:00")]
    day2 = [logs.req(SRC + "ACME_1.0.tar.gz", ip="ip2", when="2024-01-11 08:00:00")]
    logs.write(tmp_path / "d1" / "E1.2024-01-10-08.a.gz", logs.cloudfront(day1))
    logs.write(tmp_path / "d2" / "E1.2024-01-11-08.b.gz", logs.cloudfront(day2))
    w = warehouse.with_manifest(logs.MANIFEST)
    w.load_and_build(tmp_path / "d1", dbt_vars=logs.VERSIONS)
    mark = "select checked_thru_file_id from webstats_info"
    assert w.query(mark) == [(1,)]

    # a null in an old row: the next build does not read it again, `dbt test` does
    w.execute("update downloads set package_version = null where file_id = 1")
    w.build(logs.VERSIONS)
    with pytest.raises(DbtError, match="not_null_columns_downloads"):
        run_dbt(w.settings, ["test", "--select", "downloads"], logs.VERSIONS)
    w.execute("update downloads set package_version = '1.0' where file_id = 1")

    # a null in the new day's rows fails the build, and the next one again
    assert w.load(tmp_path / "d2").ok
    w.execute("update raw_requests set client_ip = null where file_id = 2")
    for _ in range(2):
        with pytest.raises(DbtError, match="source_not_null_columns_raw_raw_requests"):
            w.build(logs.VERSIONS)
        assert w.query(mark) == [(1,)]
    w.execute("update raw_requests set client_ip = 'ip2' where file_id = 2")
    w.build(logs.VERSIONS)
    assert w.query(mark) == [(2,)]
    assert w.query("select ip_count, download_count from stats where is_monthly") == [(2, 2)]


def test_a_nightly_build_catches_a_stored_triple_appended_again(warehouse, logs, tmp_path):
    """The scoped uniqueness check joins the rows past the mark to the older ones."""

    day1 = [
        logs.req(SRC + "ACME_1.0.tar.gz", ip=ip, when="2024-01-10 08:00:00") for ip in ("a", "b")
    ]
    day2 = [logs.req(SRC + "ACME_1.0.tar.gz", ip="c", when="2024-01-11 08:00:00")]
    logs.write(tmp_path / "d1" / "E1.2024-01-10-08.a.gz", logs.cloudfront(day1))
    logs.write(tmp_path / "d2" / "E1.2024-01-11-08.b.gz", logs.cloudfront(day2))
    w = warehouse.with_manifest(logs.MANIFEST)
    w.load_and_build(tmp_path / "d1", dbt_vars=logs.VERSIONS)
    assert w.load(tmp_path / "d2").ok

    # as if the new run had stamped one of the stored monthly triples again
    w.execute(
        "insert into int_package_period_ips select category, package, date, is_monthly, "
        "ip_hash, 2 from int_package_period_ips where is_monthly "
        "and ip_hash = (select min(ip_hash) from int_package_period_ips)",
    )
    with pytest.raises(DbtError, match="unique_combination_int_package_period_ips"):
        w.build(logs.VERSIONS)
    assert w.query("select checked_thru_file_id from webstats_info") == [(1,)]
