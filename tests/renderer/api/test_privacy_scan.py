"""No table but `raw_requests` holds a client address (issue 15, docs/privacy.md).

After a real load and build (the API's pipeline warehouses, on DuckDB and PostgreSQL; on
DuckDB a copy that also loaded malformed lines carrying IPv4 and IPv6 addresses, so
`load_rejects` has rows), every text column of every table and view is scanned for IPv4
and IPv6 literals.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import shutil

import pytest

from webstats.core import warehouse as wh
from webstats.core.settings import Settings
from webstats.ingest.loader import load_paths

CANDIDATE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*")
ALLOWED = {("raw_requests", "client_ip")}
MALFORMED = [
    "this is not a log line from 192.0.2.77 or fe80:0000:0000:0000:0204:61ff:fe9d:f156",
    '2001:db8::42 - - [45/Jan/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5',
    '::ffff:203.0.113.9 - - [15/Jan/2024:10:00:00 +0000] "GET / HTTP/1.1" 2x0 5',
]


def addresses(text: str) -> list[str]:
    """The IP literals in `text` (a dotted quad or an IPv6 address, as `ipaddress` reads)."""
    found = []
    for token in CANDIDATE.findall(text):
        for piece in {token, token.strip(".:")}:
            try:
                ipaddress.ip_address(piece)
            except ValueError:
                continue
            found.append(piece)
            break
    return found


def text_columns(con: wh.Connection, settings: Settings) -> list[tuple[str, str]]:
    """Every text column of every table and view of the warehouse (not only the site's)."""
    if settings.target == "postgres":
        where = "table_schema = ? and data_type in ('text', 'character varying', 'character')"
        params = [settings.pg_schema]
    else:
        where = "table_catalog = current_database() and data_type = 'VARCHAR'"
        params = []
    sql = f"select table_name, column_name from information_schema.columns where {where}"
    return [tuple(r) for r in con.execute(sql, params).fetchall()]


def leaks(settings: Settings) -> dict[tuple[str, str], list[str]]:
    out = {}
    with wh.connect(settings, read_only=True) as con:
        columns = text_columns(con, settings)
        assert ("raw_requests", "client_ip") in columns and ("load_rejects", "line") in columns
        assert len({t for t, _ in columns}) > 10
        for table, column in columns:
            q = f'select distinct "{column}" from "{table}" where "{column}" is not null'
            hits = [a for (v,) in con.execute(q).fetchall() for a in addresses(str(v))]
            if hits:
                out[(table, column)] = hits
    return out


def test_address_finder():
    assert addresses("a 10.0.0.1, b 2001:db8::42.") == ["10.0.0.1", "2001:db8::42"]
    assert addresses("10:20:30 3.18 1.0 <ip>") == []


@pytest.mark.parametrize("source", ["pipeline-duckdb", "pipeline-postgres"])
def test_raw_addresses_only_in_raw_requests(api_warehouses, logs, tmp_path, source):
    settings = api_warehouses(source)
    if settings.target == "duckdb":  # a copy, with rejects too (the shared one stays as is)
        copy = tmp_path / "copy.duckdb"
        shutil.copy(settings.duckdb_path, copy)
        settings = dataclasses.replace(settings, duckdb_path=copy)
        good = logs.apache(logs.req("/packages/3.18/bioc/src/contrib/alpha_1.0.tar.gz"))
        bad = logs.write(tmp_path / "logs" / "access.log", "\n".join([good, *MALFORMED]) + "\n")
        summary = load_paths(settings, [bad.parent], progress=False)
        assert summary.rejected == len(MALFORMED)
    found = leaks(settings)
    assert set(found) == ALLOWED, {k: v[:3] for k, v in found.items() if k not in ALLOWED}
