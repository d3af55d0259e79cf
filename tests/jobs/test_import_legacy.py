"""`webstats import-legacy`: the legacy site's history feeds the marts; export round-trips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from renderer.export import export_site
from webstats.jobs.legacy_import import LegacyFormatError, parse_stats_tab

STAMP = re.compile(rb"generated on [^<]*")


def export(w, dest: Path) -> Path:
    export_site(w.settings, dest)
    return dest


@pytest.fixture(scope="session")
def legacy_site(_legacy_built, tmp_path_factory) -> Path:
    """The site exported from a warehouse computed from all sample logs (2023 and 2024): the
    suite's shared DuckDB build of them (tests/conftest.py), read only."""
    w, _ = _legacy_built("duckdb")
    return export(w, tmp_path_factory.mktemp("legacy-site") / "site")


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _import(w, site: Path) -> dict:
    proc = w.cli("import-legacy", str(site), *[])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = w.json_lines(proc.stdout)
    steps = [r["step"] for r in records]
    assert steps in (
        ["lock", "stage", "import", "build", "swap"],
        ["lock", "stage", "import", "swap"],
    )
    return records[2]


def test_round_trip_export_import_export(warehouse, legacy, tmp_path, legacy_site):
    w = warehouse.with_manifest(legacy.manifest)
    logs_2024 = legacy.log_dir(tmp_path / "logs", "2024-")
    if w.target == "duckdb":
        # into an empty warehouse: every year is imported; the 2024 logs then win for 2024
        record = _import(w, legacy_site)
        assert record["before"] is None and record["last_year"] == 2024
        w.refresh(logs_2024)
    else:
        # after the logs: only the years before the first log day (2024-01-01) are imported
        w.refresh(logs_2024)
        record = _import(w, legacy_site)
        assert record["before"] == "2024-01-01" and record["last_year"] == 2023
    assert record["package_rows"] > 0 and record["category_rows"] > 0

    # a year is imported or computed, never both
    years = w.rows(
        "select distinct extract(year from date), source_file_id < 0 from stats order by 1",
    )
    assert years == [(2023, True), (2024, False)]

    again = _files(export(w, tmp_path / "again"))
    original = _files(legacy_site)
    assert sorted(again) == sorted(original)
    for rel, body in original.items():
        if rel.endswith(".html"):
            assert STAMP.sub(b"", again[rel]) == STAMP.sub(b"", body), rel
        else:
            assert again[rel] == body, rel  # .tab, .txt, .png, .css: the same bytes


def test_import_again_changes_nothing_and_new_logs_win(
    new_warehouse, legacy, tmp_path, legacy_site
):
    w = new_warehouse("duckdb").with_manifest(legacy.manifest)
    w.refresh(legacy.log_dir(tmp_path / "logs", "2024-01"))
    assert _import(w, legacy_site)["last_year"] == 2023
    stats = w.rows("select category, package, date, ip_count, download_count from stats")
    _import(w, legacy_site)  # a second import of the same site: same rows
    again = w.rows("select category, package, date, ip_count, download_count from stats")
    assert sorted(again) == sorted(stats)
    # logs for a month of 2023 arrive later: 2023 becomes computed, wholly
    w.refresh(legacy.log_dir(tmp_path / "logs", "2023-05"))
    rows = w.rows(
        "select count(*), min(date), max(date) from stats where source_file_id < 0 "
        "and extract(year from date) = 2023",
    )
    assert rows[0][0] == 0
    months_2023 = w.rows(
        "select distinct date from categorystats where is_monthly "
        "and extract(year from date) = 2023",
    )
    assert months_2023 == [("2023-05-01",)]


def test_bad_tab_files_are_refused(tmp_path, capsys):
    bad = tmp_path / "bioc_stats.tab"
    bad.write_text(
        "Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n2022\tJan\t1\t5\n2022\tall\t1\t6\n"
    )
    with pytest.raises(LegacyFormatError, match="all line says 6"):
        parse_stats_tab(bad)
    bad.write_text("something else\n")
    with pytest.raises(LegacyFormatError, match="header"):
        parse_stats_tab(bad)


def test_import_needs_a_site(new_warehouse, legacy, tmp_path):
    w = new_warehouse("duckdb").with_manifest(legacy.manifest)
    (tmp_path / "empty").mkdir()
    proc = w.cli("import-legacy", str(tmp_path / "empty"))
    assert proc.returncode == 1
    assert "no legacy _stats.tab rows" in proc.stderr
    assert not w.settings.duckdb_path.exists()  # nothing half-made
