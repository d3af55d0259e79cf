"""Hand-made log files for pipeline tests: CloudFront lines with chosen fields, Apache lines.

Tests state exactly which requests they write, so the expected counts are computed by hand.
"""

from __future__ import annotations

import bz2
import gzip
from dataclasses import dataclass
from pathlib import Path

from webstats.logformats import CLOUDFRONT_FIELDS, HISTORIC_FIELD_COUNTS  # noqa: F401

FIELDS_33 = CLOUDFRONT_FIELDS


@dataclass
class Req:
    uri: str
    ip: str = "192.0.2.1"
    method: str = "GET"
    status: int = 200
    when: str = "2024-01-15 10:00:00"
    query: str = "-"
    edge: str = "IAD89-P1"


def cloudfront_line(r: Req, fields: list[str]) -> str:
    date, time = r.when.split(" ")
    values = {
        "date": date,
        "time": time,
        "x-edge-location": r.edge,
        "sc-bytes": "12345",
        "c-ip": r.ip,
        "cs-method": r.method,
        "cs(Host)": "d2nsi8cfpgrgm1.cloudfront.net",
        "cs-uri-stem": r.uri,
        "sc-status": str(r.status),
        "cs(User-Agent)": "R%20(4.3.2%20x86_64-pc-linux-gnu)",
        "cs-uri-query": r.query,
    }
    return "\t".join(values.get(f, "-") for f in fields)


def cloudfront_text(reqs: list[Req], n_fields: int = 33, extra_lines: list[str] = ()) -> str:
    fields = FIELDS_33[:n_fields]
    lines = ["#Version: 1.0", "#Fields: " + " ".join(fields)]
    lines += [cloudfront_line(r, fields) for r in reqs]
    lines += list(extra_lines)
    return "\n".join(lines) + "\n"


def write_log(path: Path, text: str) -> Path:
    """Write `text`, compressed according to the file name (.gz, .bz2, else plain)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def apache_line(r: Req, combined: bool = True) -> str:
    import datetime as dt

    t = dt.datetime.strptime(r.when, "%Y-%m-%d %H:%M:%S")
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    target = r.uri + ("" if r.query == "-" else "?" + r.query)
    line = f'{r.ip} - - [{stamp}] "{r.method} {target} HTTP/1.1" {r.status} 1234'
    if combined:
        line += ' "-" "R (4.3.2 x86_64-pc-linux-gnu)"'
    return line


MANIFEST = """package,category,first_version,last_version
ACME,bioc,2.0,
a4Base,bioc,3.1,
BSgenome.Hsapiens.UCSC.hg38,annotation,3.5,
org.Hs.eg.db,annotation,2.1,
airway,experiment,3.0,
rnaseqGene,workflows,3.0,
oldpkg,bioc,2.5,3.10
"""
