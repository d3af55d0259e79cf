"""The client's country, looked up at load time, while the address is still in the clear.

`raw_requests` is the only table that ever holds a client address: `stg_requests` replaces it
by its keyed hash, after which no country can be derived. So the loader looks each batch's
addresses up (addresses.py: one range join in DuckDB over this module's networks) and
stores the ISO 3166-1 alpha-2 code beside each request (`raw_requests.client_country`).

The database is geoip2fast's country file (IPv4 and IPv6), shipped inside the PyPI package,
so the lookup works offline; which data, its date and its licence: docs/dimensions.md.
Unknown stays null: an address the database does not place, a private, loopback, reserved
or documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), and
anything that is not an address (as Python's `ipaddress` reads one, after stripping ASCII
whitespace). `country_of` is the same answer one address at a time, through geoip2fast's
own lookup: the tests hold the loader's SQL to it.
"""

from __future__ import annotations

import functools
import gzip
import ipaddress
import pickle
import re
from typing import Any

from .netranges import _SPACE, Network, address_key, data_path

#: geoip2fast's data file with countries of IPv4 and IPv6 networks
DATA_FILE = "geoip2fast-ipv6.dat.gz"
#: what the database answers that is a country (it says `--` for "not found")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
#: the data's first names are its private, reserved and "not found" entries (it answers
#: `--` for them)
_PRIVATE_NAMES = 16


@functools.cache
def _database() -> Any:
    """The geoip2fast reader (country_of, database_source), loaded once per process."""
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(geoip2fast_data_file=DATA_FILE)


def database_source() -> str:
    """Which data the lookups use, e.g. `MAXMIND:GeoLite2-Country-IPv4IPv6-en-20240618`."""
    return str(_database().get_database_info()["source_info"])


def country_of(address: str | None) -> str | None:
    """ISO alpha-2 country of a client address, None when unknown (see the module doc):
    geoip2fast's own lookup, one address at a time. The loader does not call it (it looks
    a batch up in SQL, addresses.py); it is the answer that lookup must give (tested)."""
    if address_key(address) is None or not _is_global(address.strip(_SPACE)):
        return None  # not an address; or private, reserved, documentation: no country
    code = _database().lookup(address.strip(_SPACE)).country_code
    return code if code and _COUNTRY_CODE.match(code) else None


def _is_global(address: str) -> bool:
    """A public address (not private, loopback, link-local, reserved or documentation)."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def country_networks() -> list[Network]:
    """geoip2fast's networks (first address, prefix length, country code or None) from its
    data file, the very lists its lookup bisects. Its private, reserved and "not found"
    entries (the first 16 names) and anything not an ISO code are None."""
    with gzip.open(data_path("geoip2fast", DATA_FILE), "rb") as fh:
        _version, _info, _total, database = pickle.load(fh)  # the package's own format
    _index, names, firsts, country_ids, lengths = database
    codes = [
        code if i >= _PRIVATE_NAMES and _COUNTRY_CODE.match(code) else None
        for i, code in enumerate(name.split(":")[0] for name in names)
    ]
    return [
        (first, length, codes[cid])
        for chunk_firsts, chunk_ids, chunk_lengths in zip(firsts, country_ids, lengths, strict=True)
        for first, cid, length in zip(chunk_firsts, chunk_ids, chunk_lengths, strict=True)
    ]
