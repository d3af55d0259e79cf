"""The legacy example logs give exactly the legacy generator's counts (DuckDB and Postgres).

The expected `.tab` files of tests/data/legacy/expected are parsed into (year, month) ->
(distinct IPs, downloads) and compared with the `stats` / `categorystats` marts, zero
months included; scores with the `_pkg_scores.tab` files.
"""

from __future__ import annotations

import pytest

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
SUBDIRS = {
    "bioc": "bioc",
    "annotation": "data-annotation",
    "experiment": "data-experiment",
    "workflows": "workflows",
}


def parse_tab(path) -> dict[tuple[int, str], tuple[int, int]]:
    rows = {}
    for line in path.read_text().splitlines()[1:]:
        year, month, ips, downloads = line.split("\t")
        rows[int(year), month] = (int(ips), int(downloads))
    return rows


def from_marts(rows) -> dict[tuple[int, str], tuple[int, int]]:
    out = {}
    for date, is_monthly, ips, downloads in rows:
        out[date.year, MONTHS[date.month - 1] if is_monthly else "all"] = (ips, downloads)
    return out


@pytest.fixture
def built(legacy_warehouse):
    summary = legacy_warehouse.summary
    assert (summary.loaded_files, summary.lines, summary.rejected) == (506, 17718, 0)
    return legacy_warehouse


def package_tabs(expected):
    for sub in SUBDIRS.values():
        for tab in sorted((expected / sub).glob("*/*_stats.tab")):
            if tab.name == f"{tab.parent.name}_stats.tab":
                yield tab


def test_every_package_matches_its_legacy_stats_tab(built, legacy):
    tabs = list(package_tabs(legacy.expected))
    assert len(tabs) == 13
    for tab in tabs:
        expected = {k: v for k, v in parse_tab(tab).items() if v != (0, 0)}
        got = from_marts(
            built.query(
                "select date, is_monthly, ip_count, download_count from stats where package = ?",
                (tab.parent.name,),
            )
        )
        assert got == expected, tab.name


@pytest.mark.parametrize("category", list(SUBDIRS))
def test_every_category_matches_its_legacy_stats_tab(built, legacy, category):
    tab = legacy.expected / SUBDIRS[category] / f"{category}_stats.tab"  # prefix = category here
    expected = {k: v for k, v in parse_tab(tab).items() if v != (0, 0)}
    got = from_marts(
        built.query(
            "select date, is_monthly, ip_count, download_count from categorystats "
            "where category = ?",
            (category,),
        )
    )
    assert got == expected


def test_download_totals_per_category(built):
    rows = built.query(
        "select category, sum(download_count) from categorystats where not is_monthly "
        "group by category order by category",
    )
    assert [(c, int(n)) for c, n in rows] == [
        ("annotation", 2618),
        ("bioc", 2048),
        ("experiment", 1207),
        ("workflows", 3346),
    ]


@pytest.mark.parametrize("category", list(SUBDIRS))
def test_scores_match_the_legacy_scores_tab(built, legacy, category):
    (tab,) = (legacy.expected / SUBDIRS[category]).glob("*_pkg_scores.tab")
    expected = dict(
        (name, int(score))
        for name, score in (line.split("\t") for line in tab.read_text().splitlines()[1:])
    )
    rows = built.query(
        "select package, score from package_scores where category = ?", (category,)
    )
    assert dict(rows) == expected


def test_as_of_day_comes_from_the_data(built):
    rows = built.query("select valid_thru, as_of_date from webstats_info")
    assert [(str(a), str(b)) for a, b in rows] == [("2024-02-10", "2024-02-11")]


MART_QUERIES = {
    # source_file_id is lineage (which load delivered the data), not data: a late file gets a
    # later id than in a one-shot load, so it is left out of the comparison.
    "stats": "select category, package, date, is_monthly, ip_count, download_count "
    "from stats order by 1, 2, 3, 4",
    "categorystats": "select category, date, is_monthly, ip_count, download_count "
    "from categorystats order by 1, 2, 3",
    "package_scores": "select * from package_scores order by 1, 2",
    "hourly_downloads": "select hour_at, category, package, bioc_version, download_type, "
    "downloads from hourly_downloads order by 1, 2, 3, 4, 5",
    "downloads": "select category, package, request_date, count(*), count(distinct ip_hash) "
    "from downloads group by 1, 2, 3 order by 1, 2, 3",
    "unknown_packages": "select * from unknown_packages order by 1, 2",
    # the distinct-IP triples the rollups count: appended run by run, never twice
    "int_package_period_ips": "select category, package, date, is_monthly, ip_hash "
    "from int_package_period_ips order by 1, 2, 3, 4, 5",
    "int_category_period_ips": "select category, date, is_monthly, ip_hash "
    "from int_category_period_ips order by 1, 2, 3, 4",
    "webstats_info": "select valid_thru, as_of_date from webstats_info",
}


def test_incremental_runs_over_a_day_sequence_equal_a_full_build(built, legacy, new_warehouse):
    """Load the logs in five steps, building after each; one February file arrives late."""
    w = new_warehouse(built.target).with_manifest(legacy.manifest)
    files = sorted(legacy.logs.iterdir())
    late = next(f for f in files if ".2023-02-14-" in f.name)
    on_time = [f for f in files if f != late]
    cuts = ["2023-03-15", "2023-07-31", "2024-01-31", "2024-02-09", "9999"]
    done: set = set()
    for cut in cuts:
        step = [f for f in on_time if f.name.split(".")[1][:10] <= cut and f not in done]
        if cut == "9999":
            step.append(late)
        done.update(step)
        assert w.load(*step).ok
        w.build(legacy.dbt_vars)

    for name, sql in MART_QUERIES.items():
        assert w.query(sql) == built.query(sql), name
