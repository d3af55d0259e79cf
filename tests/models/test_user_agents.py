"""The user-agent rules (macros/cross_db/user_agent.sql) against real user agents.

The samples, each with its public source and licence, are tests/data/user_agents.csv. The
dbt unit test `client_from_user_agent` (models/intermediate/_intermediate.yml) runs them
through int_package_requests on DuckDB and PostgreSQL (tests/models/test_download_rule.py
runs every unit test); its two fixture files are derived from the samples, and this test
keeps them so. Regenerate them with `python tests/models/test_user_agents.py`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "user_agents.csv"
FIXTURES = ROOT / "tests" / "dbt" / "fixtures"
URI = "/packages/3.18/bioc/src/contrib/ACME_1.0.tar.gz"
#: a request without a user agent: the client is other, nothing else is said
NO_AGENT = ("no agent", "", "other", "", "other", "")


def _samples() -> list[dict[str, str]]:
    with SAMPLES.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _csv(header: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def fixtures() -> dict[str, str]:
    """The unit test's given requests and expected rows, by fixture file name."""
    rows = [
        (f"ua {i:02d}", s["user_agent"], s["client"], s["r_version"], s["os"], s["arch"])
        for i, s in enumerate(_samples(), 1)
    ] + [NO_AGENT]
    return {
        "user_agent_requests.csv": _csv(
            ["edge_location", "method", "status", "uri_stem", "user_agent"],
            [(r[0], "GET", 200, URI, r[1]) for r in rows],
        ),
        "user_agent_expected.csv": _csv(
            ["edge_location", "client", "r_version", "os", "arch"], [(r[0], *r[2:]) for r in rows]
        ),
    }


def test_every_sample_names_its_source_and_licence():
    samples = _samples()
    assert len(samples) >= 20
    for s in samples:
        assert s["source"] and s["licence"], s
        assert s["client"] in {"R", "curl", "wget", "browser", "other"}
        assert s["os"] in {"linux", "windows", "macos", "other"}
    # every client and every OS is represented by a real sample
    assert {s["client"] for s in samples} == {"R", "curl", "wget", "browser", "other"}
    assert {s["os"] for s in samples} == {"linux", "windows", "macos", "other"}


def test_the_unit_test_fixtures_are_the_samples():
    for name, text in fixtures().items():
        assert (FIXTURES / name).read_text() == text, f"regenerate {name}: python {__file__}"


if __name__ == "__main__":
    for name, text in fixtures().items():
        (FIXTURES / name).write_text(text)
