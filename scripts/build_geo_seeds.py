"""Write seeds/countries.csv and seeds/edge_locations.csv from installed package data.

Nothing in these seeds is typed by hand: country names come from the country database the
loader looks addresses up in (geoip2fast, so every code it answers has a name), and the
edge locations from the IATA airport codes of `airportsdata` (a CloudFront edge location
is named by the IATA code of a nearby airport: `IAD89-P1` is near Washington Dulles).
Sources, licences and dates: docs/dimensions.md. Run again after upgrading either package;
tests/ingest/test_geo.py checks that the committed seeds are what this script writes.

    .venv/bin/python scripts/build_geo_seeds.py
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_CODE = re.compile(r"^[A-Z]{2}$")
_IATA = re.compile(r"^[A-Z]{3}$")


def countries_csv() -> str:
    """`country_code,country_name` for every ISO alpha-2 code the database knows, sorted."""
    import geoip2fast.geoip2fast as gf

    from webstats.ingest.geo import DATA_FILE

    gf.GeoIP2Fast(geoip2fast_data_file=DATA_FILE)
    names = {c: n for c, n in gf.geoipCountryNamesDict.items() if _CODE.match(c)}
    return _csv(["country_code", "country_name"], sorted(names.items()))


def edge_locations_csv() -> str:
    """`edge_code,city,country_code` for every airport with an IATA code, sorted."""
    import airportsdata

    airports = airportsdata.load("IATA")
    rows = [
        (code, a["city"], a["country"])
        for code, a in sorted(airports.items())
        if _IATA.match(code) and _CODE.match(a["country"] or "")
    ]
    return _csv(["edge_code", "city", "country_code"], rows)


def _csv(header: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    (SEEDS / "countries.csv").write_text(countries_csv())
    (SEEDS / "edge_locations.csv").write_text(edge_locations_csv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
