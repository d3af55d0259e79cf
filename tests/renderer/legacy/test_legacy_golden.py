"""The legacy examples, byte for byte (tests/data/legacy/expected/, copied from the old site).

Two sources of marts, each on DuckDB and PostgreSQL:
- the real pipeline: the example logs loaded and built with dbt (release 3.18, devel 3.19);
  only the generation timestamp value on HTML pages may differ (it is the build time);
- marts read back from the examples' own .tab files (isolates the renderer: there even the
  timestamp must match, since built_at is set to the legacy value).
Both go through `export_site`, the same code the server runs for every path.
"""

from __future__ import annotations

import re
from pathlib import Path

from renderer.export import export_site

STAMP = re.compile(
    rb"This page was generated on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0000 "
    rb"\((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    rb"\d{4}\)\."
)


def expected_files(expected: Path) -> list[str]:
    return sorted(str(p.relative_to(expected)) for p in expected.rglob("*") if p.is_file())


def normalise(body: bytes) -> bytes:
    return STAMP.sub(b"This page was generated on <STAMP>.", body)


def compare(site: Path, expected: Path, mask_stamp: bool) -> list[str]:
    """Paths whose bytes differ (empty list = all equal)."""
    bad = []
    for rel in expected_files(expected):
        want = (expected / rel).read_bytes()
        got_path = site / rel
        got = got_path.read_bytes() if got_path.exists() else b"<missing>"
        if mask_stamp and rel.endswith(".html"):
            assert STAMP.search(got) or got == b"<missing>" or b"moved" in got, rel
            want, got = normalise(want), normalise(got)
        if want != got:
            bad.append(rel)
    return bad


def exported_extras(site: Path, expected: Path) -> set[str]:
    """Files the export has beyond the examples: only charts (the examples have none)."""
    got = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    extras = got - set(expected_files(expected))
    return {p for p in extras if not p.endswith(".png")} - {"main.css"}


def test_legacy_examples_from_fixture_marts(warehouse, marts, legacy, tmp_path):
    marts.write(warehouse.settings, marts.from_legacy(legacy.expected, legacy.manifest))
    site = tmp_path / "site"
    export_site(warehouse.settings, site)
    assert compare(site, legacy.expected, mask_stamp=False) == []
    assert exported_extras(site, legacy.expected) == set()


def test_legacy_examples_from_the_real_pipeline(legacy_warehouse, legacy, tmp_path):
    site = tmp_path / "site"
    export_site(legacy_warehouse.settings, site)
    assert compare(site, legacy.expected, mask_stamp=True) == []
    assert exported_extras(site, legacy.expected) == set()
