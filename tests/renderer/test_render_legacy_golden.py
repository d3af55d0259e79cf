"""The legacy examples, byte for byte (tests/data/legacy/expected/, copied from the old site).

Two sources of marts, each on DuckDB and PostgreSQL:
- the real pipeline: the example logs loaded and built with dbt (release 3.18, devel 3.19);
  only the generation timestamp value on HTML pages may differ (it is the build time);
- marts read back from the examples' own .tab files (isolates the renderer: there even the
  timestamp must match, since built_at is set to the legacy value).
Both go through `export_site`, the same code the server runs for every path.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from render_marts import marts_from_legacy, write_marts

from renderer.export import export_site

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
EXPECTED = LEGACY / "expected"
STAMP = re.compile(
    rb"This page was generated on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0000 "
    rb"\((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    rb"\d{4}\)\."
)


def root_conftest():
    """tests/conftest.py as a module (both conftests are called `conftest` in sys.modules)."""
    spec = importlib.util.spec_from_file_location("webstats_tests_conftest",
                                                  LEGACY.parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_files() -> list[str]:
    return sorted(str(p.relative_to(EXPECTED)) for p in EXPECTED.rglob("*") if p.is_file())


def normalise(body: bytes) -> bytes:
    return STAMP.sub(b"This page was generated on <STAMP>.", body)


def compare(site: Path, mask_stamp: bool) -> list[str]:
    """Paths whose bytes differ (empty list = all equal)."""
    bad = []
    for rel in expected_files():
        want = (EXPECTED / rel).read_bytes()
        got_path = site / rel
        got = got_path.read_bytes() if got_path.exists() else b"<missing>"
        if mask_stamp and rel.endswith(".html"):
            assert STAMP.search(got) or got == b"<missing>" or b"moved" in got, rel
            want, got = normalise(want), normalise(got)
        if want != got:
            bad.append(rel)
    return bad


def exported_extras(site: Path) -> set[str]:
    """Files the export has beyond the examples: only charts (the examples have none)."""
    got = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    return {p for p in got - set(expected_files()) if not p.endswith(".png")} - {"main.css"}


def test_legacy_examples_from_fixture_marts(target_settings, tmp_path):
    write_marts(target_settings, marts_from_legacy(EXPECTED, LEGACY / "manifest.csv"))
    site = tmp_path / "site"
    export_site(target_settings, site)
    assert compare(site, mask_stamp=False) == []
    assert exported_extras(site) == set()


def test_legacy_examples_from_the_real_pipeline(target_settings, tmp_path):
    build = root_conftest().build_warehouse
    logs = sorted((LEGACY / "logs").iterdir())
    settings, _ = build(
        target_settings, logs, manifest_csv=LEGACY / "manifest.csv",
        dbt_vars={"bioc_release": "3.18", "bioc_devel": "3.19"},
    )
    site = tmp_path / "site"
    export_site(settings, site)
    assert compare(site, mask_stamp=True) == []
    assert exported_extras(site) == set()
