"""What counts as a download (docs/rules.md), end to end: hand-made logs -> load -> dbt build.

Each case is one request (the fields of a hand-made log line); `counted` says whether the
rule makes it a download. The same warehouse is built once per target (DuckDB file, real
PostgreSQL schema).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pytest

from webstats.jobs.dbt import run_dbt


def Req(uri: str, **fields: object) -> dict:  # noqa: N802 (reads like the log builder's Req)
    """A request's fields, turned into a log line by the `logs` fixture."""
    return {"uri": uri, **fields}


B = "/packages/3.18/bioc"
CASES: list[tuple[str, dict, bool]] = [
    ("plain source", Req(f"{B}/src/contrib/ACME_2.58.0.tar.gz", ip="10.0.0.1"), True),
    ("double slashes", Req("/packages//3.18//bioc/src/contrib//ACME_2.58.0.tar.gz"), True),
    ("query string", Req(f"{B}/src/contrib/ACME_2.58.0.tar.gz", query="a=b"), True),
    ("release win", Req("/packages/release/bioc/bin/windows/contrib/4.3/ACME_2.58.0.zip"), True),
    (
        "devel mac arm",
        Req("/packages/devel/bioc/bin/macosx/big-sur-arm64/contrib/4.4/ACME_2.59.0.tgz"),
        True,
    ),
    ("tgz source", Req(f"{B}/src/contrib/ACME_2.58.0.tgz"), True),
    ("linux binary", Req(f"{B}/bin/linux/contrib/4.3/ACME_2.58.0.tar.gz"), True),
    ("status 301", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=301), True),
    ("status 302", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=302), True),
    ("status 307", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=307), True),
    ("status 308", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=308), True),
    ("status 304", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=304), False),
    ("status 206", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=206), False),
    ("status 404", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", status=404), False),
    ("HEAD", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", method="HEAD"), False),
    ("POST", Req(f"{B}/src/contrib/ACME_1.0.tar.gz", method="POST"), False),
    ("other extension", Req(f"{B}/src/contrib/ACME_1.0.tar.bz2"), False),
    ("percent in name", Req(f"{B}/src/contrib/AC%20ME_1.0.tar.gz"), False),
    ("underscore in version", Req(f"{B}/src/contrib/ACME_1_0.tar.gz"), False),
    ("PACKAGES index", Req(f"{B}/src/contrib/PACKAGES.gz"), False),
    ("html page", Req("/packages/3.18/bioc/html/ACME.html"), False),
    ("archive dir", Req(f"{B}/src/contrib/Archive/ACME/ACME_1.0.tar.gz"), False),
    ("no contrib version", Req(f"{B}/bin/windows/contrib/ACME_1.0.zip"), False),
    ("no version segment", Req("/packages/bioc/src/contrib/ACME_1.0.tar.gz"), False),
    ("extra segment", Req("/packages/3.18/extra/bioc/src/contrib/ACME_1.0.tar.gz"), False),
    ("case differs", Req(f"{B}/src/contrib/acme_1.0.tar.gz"), False),
    ("unknown package", Req(f"{B}/src/contrib/ggplot2_3.4.0.tar.gz"), False),
    ("wrong category", Req(f"{B}/src/contrib/airway_1.22.0.tar.gz"), False),
    (
        "annotation",
        Req("/packages/3.18/data/annotation/src/contrib/org.Hs.eg.db_3.18.0.tar.gz"),
        True,
    ),
    (
        "annotation dots digits",
        Req("/packages/3.18/data/annotation/src/contrib/BSgenome.Hsapiens.UCSC.hg38_1.4.5.tar.gz"),
        True,
    ),
    ("experiment", Req("/packages/3.18/data/experiment/src/contrib/airway_1.22.0.tar.gz"), True),
    ("workflows", Req("/packages/3.18/workflows/src/contrib/rnaseqGene_1.26.0.tar.gz"), True),
    ("digits in name", Req(f"{B}/src/contrib/a4Base_1.50.0.tar.gz", ip="2001:db8::5"), True),
]
APACHE_CASES: list[tuple[str, dict, bool]] = [
    ("apache with query", Req(f"{B}/src/contrib/a4Base_1.50.0.tar.gz", query="x=1"), True),
    ("apache HEAD", Req(f"{B}/src/contrib/a4Base_1.50.0.tar.gz", method="HEAD"), False),
]


@pytest.fixture(scope="module")
def built(module_warehouse, logs):
    built = module_warehouse.with_manifest(logs.MANIFEST)
    files = built.tmp / "filter-logs"
    logs.write(files / "E1.2024-01-15-10.f.gz", logs.cloudfront([logs.req(**c[1]) for c in CASES]))
    apache = [logs.apache(logs.req(**c[1])) for c in APACHE_CASES]
    logs.write(files / "access.log", "\n".join(apache) + "\n")
    summary = built.load_and_build(files)
    assert summary.ok and summary.rejected == 0
    return built


def test_only_the_requests_the_rule_describes_are_downloads(built):
    expected = sum(c[2] for c in CASES + APACHE_CASES)
    assert built.query("select count(*) from downloads") == [(expected,)]
    assert expected == 17


def test_download_dimensions(built):
    rows = built.query(
        "select category, package, download_type, bioc_version, count(*) from downloads "
        "group by 1, 2, 3, 4 order by 1, 2, 3, 4",
    )
    assert rows == [
        ("annotation", "BSgenome.Hsapiens.UCSC.hg38", "source", "3.18", 1),
        ("annotation", "org.Hs.eg.db", "source", "3.18", 1),
        ("bioc", "ACME", "mac.binary", "devel", 1),
        ("bioc", "ACME", "other", "3.18", 1),
        ("bioc", "ACME", "source", "3.18", 8),
        ("bioc", "ACME", "win.binary", "release", 1),
        ("bioc", "a4Base", "source", "3.18", 2),
        ("experiment", "airway", "source", "3.18", 1),
        ("workflows", "rnaseqGene", "source", "3.18", 1),
    ]


def test_dropped_names_are_listed_for_analysts(built):
    rows = built.query(
        "select package, category, manifest_category, reason, requests from unknown_packages "
        "order by package, category",
    )
    assert rows == [
        ("acme", "bioc", None, "not in the manifest", 1),
        ("airway", "bioc", "experiment", "in the manifest under another category", 1),
        ("ggplot2", "bioc", None, "not in the manifest", 1),
    ]


def test_no_raw_ip_reaches_the_marts(built):
    """Downloads carry the HMAC-SHA-256 of the address keyed with the secret, exactly as
    Python's hmac computes it (IPv6 too): the same hashes on DuckDB and PostgreSQL."""
    key = os.environ["WEBSTATS_IP_SALT"].encode()
    ips = ("10.0.0.1", "2001:db8::5", "192.0.2.1")  # 192.0.2.1: everyone else
    expected = {hmac.new(key, ip.encode(), hashlib.sha256).hexdigest() for ip in ips}
    assert {h for (h,) in built.query("select distinct ip_hash from downloads")} == expected


def test_the_rules_unit_tests_pass(built):
    """The dbt unit tests of the download rule (models/intermediate/_intermediate.yml), each
    case a given request and its expected verdict; the nightly build leaves them out."""
    output = run_dbt(built.settings, ["test", "--select", "test_type:unit"])
    assert "Completed successfully" in output
    assert re.search(r"PASS=([1-9]\d*)", output)
