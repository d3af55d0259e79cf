"""The demo end to end: generated logs -> load -> dbt build, checked against the generator.

The generator knows which lines it wrote as counted downloads (GET, counted status, package
under its manifest category); the marts must agree with that to the download, which checks
the whole filter (HEAD, 206/304/404, POST, non-package URLs, unknown and miscategorised
names, malformed lines) independently of the model SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webstats.cli.demo import run_demo
from webstats.demo.generator import generate, read_manifest
from webstats.demo.plan import demo_plan

DAYS = 10


@pytest.fixture(scope="module")
def demo(new_warehouse):
    w = new_warehouse("duckdb")
    truth = run_demo(w.settings, w.tmp / "logs", days=DAYS, seed=7)
    return w, truth, w.tmp / "logs"


def test_downloads_per_category_equal_the_generators_truth(demo):
    w, truth, _ = demo
    rows = w.query(
        "select category, sum(download_count) from categorystats where is_monthly group by 1",
    )
    assert dict(rows) == truth.downloads
    assert set(truth.downloads) == {"bioc", "annotation", "experiment", "workflows"}
    assert all(n > 0 for n in truth.downloads.values())


def test_monthly_stats_equal_the_truth(demo):
    w, truth, _ = demo
    rows = w.query(
        "select category, date, sum(download_count) from stats where is_monthly group by 1, 2",
    )
    assert {(c, d): n for c, d, n in rows} == truth.monthly


def test_downloads_mart_excludes_head_and_uncounted_statuses(demo):
    w, truth, _ = demo
    (n, bad) = w.query(
        "select count(*), count(*) filter (status not in (200, 301, 302, 307, 308)) from downloads",
    )[0]
    assert (n, bad) == (truth.total_downloads, 0)
    raw = w.query(
        "select count(*) filter (method = 'HEAD'), count(*) filter (status in (206, 304, 404)) "
        "from raw_requests",
    )[0]
    assert raw[0] > 0 and raw[1] > 0  # the noise really is in the logs


def test_unknown_and_miscategorised_packages_are_kept_aside(demo):
    w, truth, _ = demo
    rows = w.query("select reason, sum(requests) from unknown_packages group by 1")
    reasons = dict(rows)
    assert reasons.get("not in the manifest", 0) > 0
    assert reasons.get("in the manifest under another category", 0) > 0
    assert sum(reasons.values()) == truth.unknown_requests


def test_malformed_lines_are_rejected_and_recorded(demo):
    w, truth, _ = demo
    assert truth.malformed > 0
    (rejects,) = w.query("select count(*) from load_rejects")[0]
    assert rejects == truth.malformed
    (lines,) = w.query("select sum(line_count) from load_ledger")[0]
    assert lines == truth.lines


def test_files_look_like_cloudfront_logs_with_both_headers(demo):
    _, truth, logs = demo
    import gzip

    names = sorted(p.name for p in logs.iterdir())
    assert names == sorted(p.name for p in truth.files)
    assert all(n.startswith("EDFDVBD6EXAMPLE.") and n.endswith(".gz") for n in names)
    widths = set()
    for path in truth.files:
        with gzip.open(path, "rt") as fh:
            assert fh.readline() == "#Version: 1.0\n"
            widths.add(len(fh.readline().split()) - 1)
    assert widths == {24, 33}


def test_rerun_is_idempotent_and_deterministic(demo, tmp_path: Path):
    w, truth, logs = demo
    again = run_demo(w.settings, logs, days=DAYS, seed=7)
    assert again.downloads == truth.downloads
    (files,) = w.query("select count(*) from load_ledger")[0]
    assert files == len(truth.files)  # nothing loaded twice
    rows = w.query(
        "select category, sum(download_count) from categorystats where is_monthly group by 1",
    )
    assert dict(rows) == truth.downloads
    # the same seed writes the same bytes elsewhere
    other = generate(
        demo_plan(DAYS, 7),
        read_manifest(w.settings.manifest_file),
        tmp_path / "logs",
    )
    first = sorted(truth.files)[0]
    assert (tmp_path / "logs" / first.name).read_bytes() == first.read_bytes()
    assert other.downloads == truth.downloads


def test_traffic_has_a_daily_cycle_in_every_hour_and_quieter_weekends(demo):
    w, truth, _ = demo
    per_hour = dict(
        w.query("select hour(hour_at), sum(downloads) from hourly_downloads group by 1")
    )
    assert sorted(per_hour) == list(range(24))
    assert max(per_hour.values()) > 2 * min(per_hour.values())  # one cycle a day
    (hours,) = w.query("select count(distinct hour_at) from hourly_downloads")[0]
    assert hours == DAYS * 24  # every hour of every day has downloads
    per_day = w.query(
        "select dayofweek(hour_at) in (0, 6), sum(downloads) / count(distinct hour_at::date) "
        "from hourly_downloads group by 1"
    )
    by_weekend = {bool(weekend): n for weekend, n in per_day}
    assert by_weekend[True] < 0.8 * by_weekend[False]


def test_what_a_request_is_does_not_depend_on_its_time(demo):
    """Independent random streams: downloads are about the same share of the requests in
    every hour (the kind of a request and its time are drawn apart)."""
    w, truth, _ = demo
    shares = w.query(
        "with r as (select hour(request_at) as h, count(*) as n from raw_requests group by 1), "
        "d as (select request_hour as h, count(*) as n from downloads group by 1) "
        "select r.h, d.n / r.n from r join d using (h)"
    )
    assert len(shares) == 24
    assert all(0.6 < share < 0.85 for _, share in shares), shares


def test_the_api_docs_examples_answer_with_demo_data(demo):
    """docs/api.md's example requests, against the demo's last days; the last day is whole."""
    from renderer.app import create_app  # the site over the demo warehouse

    w, _, _ = demo
    client = create_app(w.settings).test_client()
    docs = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    examples = re.findall(r"curl -s 'http://localhost:8080(/api/[^']+)'", docs)
    assert len(examples) >= 5
    for url in examples:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.get_json(), url
    last_day = client.get("/api/get_daily_downloads?date=2025-11-30").get_json()
    assert len(last_day) == 24 and all(h["total_primary"] > 0 for h in last_day)
    kolkata = client.get("/api/get_daily_downloads?timezone=Asia/Kolkata&date=2025-11-30")
    assert sum(h["total_primary"] for h in kolkata.get_json()) > 0
