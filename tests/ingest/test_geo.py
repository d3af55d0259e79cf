"""The geographic seeds are what scripts/build_geo_seeds.py writes from package data
(docs/dimensions.md): nothing in them is typed by hand."""

from __future__ import annotations

import importlib.util

from webstats.core.settings import PROJECT_DIR


def _script():
    spec = importlib.util.spec_from_file_location(
        "build_geo_seeds", PROJECT_DIR / "scripts" / "build_geo_seeds.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seeds_are_the_scripts_output():
    script = _script()
    countries = (PROJECT_DIR / "seeds" / "countries.csv").read_text()
    edges = (PROJECT_DIR / "seeds" / "edge_locations.csv").read_text()
    assert countries == script.countries_csv()
    assert edges == script.edge_locations_csv()
    assert "US,United States\n" in countries
    assert "IAD,Washington,US\n" in edges and "FRA,Frankfurt am Main,DE\n" in edges
