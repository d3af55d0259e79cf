"""The loader's set-based address lookups (webstats/ingest/netranges.py) give, for every
address, what the one-at-a-time answers give: `country_of` (geoip2fast's own lookup) and
`network_of` (the most specific published cloud network), on a large sample of real
network boundaries, random IPv4 and IPv6 addresses, private and reserved ones, and
malformed strings. Both stores run this same DuckDB statement (rawstore.py); that the
PostgreSQL store's rows carry its answers is tested in tests/models/test_network_rules.py
and test_client_dimensions.py.
"""

from __future__ import annotations

import ipaddress
import random

import duckdb
import pytest

from webstats.ingest import cloud, geo, netranges
from webstats.ingest.addresses import AddressFacts

MALFORMED = [
    "", " ", "ip1", "abcd", "8.8.8", "8.8.8.8.8", "08.8.8.8", "8.8.8.08", "256.1.1.1",
    "1.2.3.-4", "0x8.8.8.8", "8.8.8.8/32", "8.8.8.8:80", "1::2::3", ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:", "1:2:3:4:5:6:7:8:9", "12345::1", "g::1", ":::", "1:2:3:4:5:6:1.2.3.4:8",
    "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::01.2.3.4", "2001:4860:4860::8888%eth0", "fe80::1%",
    "::8.8.8.8 x", "\u00a08.8.8.8", "８.８.８.８", "1.2.3.4 ",
]  # fmt: skip
EDGE = [
    "8.8.8.8", " 8.8.8.8\t", "1.1.1.1", "::8.8.8.8", "::ffff:8.8.8.8", "::", "::1",
    "0.0.0.0", "255.255.255.255", "100.64.1.1", "192.0.2.10", "2001:db8::1", "10.0.0.1",
    "2001:4860:4860::8888", "2001:4860:4860:0000:0000:0000:0000:8888", "2001:4860::1.2.3.4",
    "2001:4860:4860:0:0:0:1.2.3.4", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "2606:4700:4700::1111",
    "2A00:1450:4001:82A::200E", "::1:0:0", "::ffff:ffff", "fc00::1", "fe80::1",
]  # fmt: skip


def _boundaries(networks: list, rnd: random.Random, n: int) -> list[str]:
    """First and last address of sampled real networks, and the addresses either side."""
    out = []
    for first, length, _label in rnd.sample(networks, n):
        bits = 32 if first < 1 << 32 else 128
        last = first + (1 << (bits - length)) - 1
        address = ipaddress.IPv4Address if bits == 32 else ipaddress.IPv6Address
        out += [str(address(k)) for k in (first - 1, first, last, last + 1) if 0 <= k < 1 << bits]
    return out


def _private(rnd: random.Random) -> list[str]:
    """Addresses inside every range Python's `ipaddress` calls not global."""
    out = []
    for cidr in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                 "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
                 "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
                 "::ffff:0:0/96", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7",
                 "fe80::/10"):  # fmt: skip
        net = ipaddress.ip_network(cidr)
        for _ in range(20):
            out.append(str(net.network_address + rnd.randrange(net.num_addresses)))
    return out


@pytest.fixture(scope="module")
def sample() -> list[str]:
    rnd = random.Random(17)
    addresses = MALFORMED + EDGE + _private(rnd)
    addresses += _boundaries(geo.country_networks(), rnd, 5000)
    addresses += _boundaries(cloud.provider_networks(), rnd, 3000)
    addresses += [str(ipaddress.IPv4Address(rnd.getrandbits(32))) for _ in range(20000)]
    # IPv6 in 2000::/3, the global unicast space
    addresses += [
        str(ipaddress.IPv6Address((1 << 125) | rnd.getrandbits(125))) for _ in range(10000)
    ]
    addresses += [ipaddress.IPv6Address(rnd.getrandbits(128)).exploded.upper() for _ in range(2000)]
    return addresses


@pytest.fixture(scope="module")
def looked_up(sample) -> dict[str, tuple]:
    """What the loader's statement answers for each address of the sample (as one batch)."""
    con = duckdb.connect()
    con.execute("create table batch as select unnest(?::varchar[]) as client_ip", [sample])
    select = AddressFacts().annotate(con, "batch")
    rows = con.execute(f"select client_ip, client_country, client_network from ({select})")
    return {ip: (country, network) for ip, country, network in rows.fetchall()}


def test_country_equals_geoip2fast(sample, looked_up):
    wrong = [(a, looked_up[a][0], geo.country_of(a)) for a in sample
             if looked_up[a][0] != geo.country_of(a)]  # fmt: skip
    assert not wrong, wrong[:20]
    found = [looked_up[a][0] for a in sample]
    assert found.count(None) < len(found) / 2  # most random addresses have a country


def test_known_answers(looked_up):
    assert looked_up["8.8.8.8"][0] == "US" and looked_up["1.1.1.1"][0] == "AU"
    assert looked_up[" 8.8.8.8\t"][0] == "US"  # stripped, as before
    assert looked_up["2001:4860:4860::8888"][0] == "US"
    assert looked_up["2001:4860:4860:0000:0000:0000:0000:8888"][0] == "US"
    for unknown in ("192.0.2.10", "2001:db8::1", "10.0.0.1", "::1", "ip1", "08.8.8.8",
                    "2001:4860:4860::8888%eth0"):  # fmt: skip
        assert looked_up[unknown] == (None, None), unknown


def test_network_equals_most_specific_published_range(sample, looked_up):
    """Against an independent answer: the longest prefix of the address that the
    package's data lists (a dict lookup per prefix length)."""
    listed = {(first, length): p for first, length, p in cloud.provider_networks()}

    def longest(address: str) -> str | None:
        key = netranges.address_key(address)
        if key is None:
            return None
        bits = 32 if key < 1 << 32 else 128
        for length in range(bits, -1, -1):
            first = key >> (bits - length) << (bits - length)
            if (first, length) in listed:
                return listed[(first, length)]
        return None

    wrong = [(a, looked_up[a][1], longest(a)) for a in sample if looked_up[a][1] != longest(a)]
    assert not wrong, wrong[:20]
    assert sum(v[1] is not None for v in looked_up.values()) > 1000
    assert all(looked_up[a][1] == cloud.network_of(a) for a in sample)


def test_the_key_is_pythons_reading_of_the_address(sample):
    con = duckdb.connect()
    con.execute("create table batch as select unnest(?::varchar[]) as client_ip", [sample])
    keys = dict(con.execute(netranges.keys_sql("batch")).fetchall())
    wrong = [(a, keys[a], netranges.address_key(a)) for a in sample
             if keys[a] != netranges.address_key(a)]  # fmt: skip
    assert not wrong, wrong[:20]
    assert netranges.address_key("::8.8.8.8") == 0x08080808  # geoip2fast's single key space


def test_nested_networks_most_specific_wins():
    v4 = int(ipaddress.IPv4Address("10.0.0.0"))
    networks = [(v4, 8, "outer"), (v4 + 256, 24, "inner"), (v4 + 512, 24, None),
                (v4 + 1024, 30, "tiny")]  # fmt: skip
    assert netranges.segments(networks) == [
        (v4, v4 + 255, "outer"),
        (v4 + 256, v4 + 511, "inner"),
        (v4 + 768, v4 + 1023, "outer"),
        (v4 + 1024, v4 + 1027, "tiny"),
        (v4 + 1028, v4 + (1 << 24) - 1, "outer"),
    ]


def test_a_batch_without_addresses():
    con = duckdb.connect()
    con.execute("create table batch (client_ip varchar, n integer)")
    con.execute("insert into batch values (null, 1)")
    select = AddressFacts().annotate(con, "batch")
    assert con.execute(select).fetchall() == [(None, 1, None, None)]
