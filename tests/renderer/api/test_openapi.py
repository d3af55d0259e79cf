"""The API against its own OpenAPI document: served, exact, and fuzzed with every check.

Schemathesis runs as its users run it (the `st` command line, every check, its examples,
coverage and fuzzing phases) against the app under real Waitress on loopback. Any 5xx, an
undocumented status, a wrong content type or schema, a schema-valid request refused, a
schema-invalid one accepted, a 405 without `Allow`, or OPTIONS advertising an unserved method
fails the test. Examples are bounded and the seed fixed so the run is stable and cheap.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from waitress.server import create_server

from renderer.api.openapi import openapi_document
from renderer.api.params import DATE_PATTERN, ApiError, parse_date
from renderer.app import create_app
from webstats.core.settings import Settings

HOOKS = "schemathesis_hooks"  # beside this file
WARNINGS_KEPT = (
    "missing_auth", "base_url_mismatch", "validation_mismatch", "missing_deserializer",
    "unused_openapi_auth", "unsupported_regex", "method_not_allowed", "unmatched_filter",
    "unresolvable_reference", "low_valid_rate", "rate_limited", "dictionary_mismatch",
)  # fmt: skip


def test_document_is_served_and_valid(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc == openapi_document(["annotation", "bioc", "experiment", "workflows"])
    assert set(doc["paths"]) == {
        "/api/get_data",
        "/api/get_global_sum",
        "/api/get_daily_downloads",
        "/api/downloads/point/{period}/{packages}",
        "/api/downloads/range/{period}/{packages}",
        "/api/downloads/breakdown/{period}/{packages}",
        "/api/top/{period}/{n}",
        "/api/get_todays_downloads",
        "/api/downloads/daily/{period}/{packages}",
        "/api/downloads/daily/{period}",
        "/api/downloads/total/{period}/{packages}",
        "/api/downloads/total/{period}",
        "/api/status",
        "/api/badge/{package}/{kind}",
    }
    top = doc["paths"]["/api/top/{period}/{n}"]["get"]["parameters"]
    category = next(p for p in top if p["name"] == "category")
    assert category["schema"]["enum"] == ["annotation", "bioc", "experiment", "workflows"]


def test_date_pattern_admits_exactly_the_dates_accepted():
    """Every day of 1965-2105 and 9995-9999, and the month ends of every year 0001-9999:
    the document's pattern and parse_date agree on each."""
    pattern = re.compile(DATE_PATTERN)

    def accepted(text: str) -> bool:
        try:
            parse_date(text)
        except ApiError:
            return False
        return True

    texts = ["0562-32-76", "2024-13-01", "2024-00-10", "2024-01-00", "10000-01-01"]
    for first, last in ((dt.date(1965, 1, 1), dt.date(2105, 12, 31)), (dt.date(9995, 1, 1), None)):
        day = first
        while day != last:
            texts.append(day.isoformat())
            if day == dt.date.max:
                break
            day += dt.timedelta(days=1)
    ends = ("01-01", "02-28", "02-29", "02-30", "04-30", "04-31", "12-31", "12-32")
    texts += [f"{year:04d}-{end}" for year in range(1, 10000) for end in ends]
    disagree = [t for t in texts if bool(pattern.fullmatch(t)) != accepted(t)]
    assert disagree == []
    assert pattern.fullmatch("2024-02-29") and pattern.fullmatch("9998-12-31")
    assert not pattern.fullmatch("2023-02-29") and not pattern.fullmatch("1969-12-31")


@contextmanager
def waitress(settings: Settings) -> Iterator[str]:
    """The API app (no warm-up of the legacy pages: these marts are the API's only) under
    Waitress on a free loopback port; yields its base URL."""
    server = create_server(create_app(settings), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=10)


def test_schemathesis_all_checks(api_warehouses, tmp_path):
    """One engine is enough here: the other API tests compare the engines answer by answer.

    One schemathesis worker: with two, its coverage phase has hypothesis parse source code in
    two threads at once, which CPython 3.11's `ast` does not survive ("AST constructor
    recursion depth mismatch", a runtime error of the run, not of the API); one worker also
    keeps to the server's one compute slot (a second concurrent request is shed with 503 by
    design, test_limits.py)."""
    calls = tmp_path / "positive-check-calls"
    calls.write_text("0")
    with waitress(api_warehouses("fixture-duckdb")) as base:
        result = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run",
                f"{base}/api/openapi.json",
                "--checks", "all",
                "--exclude-checks", "positive_data_acceptance",
                "--phases", "examples,coverage,fuzzing",
                "--max-examples", "10",
                "--workers", "1",
                "--seed", "15",
                "--generation-deterministic",
                "--no-color",
                "--report-dir", str(tmp_path),
                # every warning but "missing test data": a random package name is not one of
                # the fixture's five, and an unknown package is a documented 404 (the badge
                # answered only 404s here before any of the breakdown existed)
                "--warnings", ",".join(WARNINGS_KEPT),
            ],
            cwd=tmp_path,  # schemathesis keeps its cache in the working directory
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": HOOKS,
                "PYTHONPATH": str(Path(__file__).parent),
                "WEBSTATS_ST_CALLS": str(calls),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
    # The positive check of the hooks ran (it is the only one that judges valid requests).
    assert int(calls.read_text() or 0) > 100
