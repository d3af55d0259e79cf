"""The client's country, looked up at load time, while the address is still in the clear.

`raw_requests` is the only table that ever holds a client address: `stg_requests` replaces it
by its keyed hash, after which no country can be derived. So the loader looks each address
up here and stores the ISO 3166-1 alpha-2 code beside it (`raw_requests.client_country`).

The database is geoip2fast's country file (IPv4 and IPv6), shipped inside the PyPI package,
so the lookup works offline; which data, its date and its licence: docs/dimensions.md.
Unknown stays null: an address the database does not place, a private, loopback, reserved
or documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), and
anything that is not an address.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any

import duckdb

#: geoip2fast's data file with countries of IPv4 and IPv6 networks
DATA_FILE = "geoip2fast-ipv6.dat.gz"
#: what the database answers that is a country (it says `--` for "not found")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
#: the cache of looked-up addresses is emptied past this size (memory stays bounded on a
#: large load; a batch's distinct addresses are looked up once either way)
CACHE_LIMIT = 500_000


@functools.cache
def _database() -> Any:
    """The geoip2fast reader, loaded once per process and only when a public address needs
    it (loading takes about a second; a load of private or test addresses never pays it)."""
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(geoip2fast_data_file=DATA_FILE)


def database_source() -> str:
    """Which data the lookups use, e.g. `MAXMIND:GeoLite2-Country-IPv4IPv6-en-20240618`."""
    return str(_database().get_database_info()["source_info"])


def country_of(address: str | None) -> str | None:
    """ISO alpha-2 country of a client address, None when unknown (see the module doc)."""
    if not address:
        return None
    address = address.strip()
    if _database.cache_info().currsize == 0 and not _is_global(address):
        return None  # not worth loading the database for (private, reserved, not an address)
    # the database itself answers `--` for private, reserved and documentation ranges and
    # for what it does not place, and no code for what is not an address: one lookup, no
    # parsing of our own in the hot path of a load (docs/benchmarks.md)
    code = _database().lookup(address).country_code
    return code if code and _COUNTRY_CODE.match(code) else None


def _is_global(address: str) -> bool:
    """A public address (not private, loopback, link-local, reserved or documentation)."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


class CountryLookup:
    """Countries of the addresses of a load's batches: each distinct address is looked up
    once (cached across the batches of one load, up to CACHE_LIMIT addresses)."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}

    def countries(self, addresses: list[str]) -> list[str | None]:
        """The country of each address, in order."""
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()
        out = []
        for address in addresses:
            if address not in self.cache:
                self.cache[address] = country_of(address)
            out.append(self.cache[address])
        return out

    def add_countries(self, con: duckdb.DuckDBPyConnection, rows_table: str) -> str:
        """SELECT of `rows_table` (raw_requests columns, without the country) with
        `client_country` appended: the batch's distinct addresses are looked up here and
        joined back in DuckDB (a temp table `batch_countries`)."""
        addresses = [
            r[0]
            for r in con.execute(
                f"select distinct client_ip from {rows_table} where client_ip is not null"
            ).fetchall()
        ]
        con.execute(
            "create or replace temp table batch_countries as "
            "select unnest(?::varchar[]) as client_ip, unnest(?::varchar[]) as country",
            [addresses, self.countries(addresses)],
        )
        return (
            f"select b.*, c.country as client_country from {rows_table} as b "
            "left join batch_countries as c on c.client_ip = b.client_ip"
        )
