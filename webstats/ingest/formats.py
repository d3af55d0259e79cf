"""Recognising a log file and describing how DuckDB should read it.

Only the *shape* of a line is decided here (which column is which); what a request means
(download or not, which package) is decided in SQL by the dbt models.
"""

from __future__ import annotations

import bz2
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

SNIFF_BYTES = 64 * 1024
#: the first bytes of a SQLite database (the legacy generator's archive: legacy_archive.py)
SQLITE_MAGIC = b"SQLite format 3\x00"

# The fields of today's CloudFront standard logs. Every earlier field set is a prefix of
# this list: 12 (2012), 15, 18, 19, 23, 24, 26, then 33 (since December 2019).
CLOUDFRONT_FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end"
).split()
HISTORIC_FIELD_COUNTS = (12, 15, 18, 19, 23, 24, 26, 33)

# CloudFront field -> (raw_requests column, DuckDB type used while reading).
# Typed columns make DuckDB reject a line whose value cannot be read, with its line number.
CLOUDFRONT_COLUMNS: dict[str, tuple[str, str]] = {
    "date": ("date", "DATE"),
    "time": ("time", "TIME"),
    "x-edge-location": ("edge_location", "VARCHAR"),
    "c-ip": ("client_ip", "VARCHAR"),
    "cs-method": ("method", "VARCHAR"),
    "cs-uri-stem": ("uri_stem", "VARCHAR"),
    "cs-uri-query": ("uri_query", "VARCHAR"),
    "sc-status": ("status", "INTEGER"),
    "sc-bytes": ("bytes_sent", "VARCHAR"),
    "cs(User-Agent)": ("user_agent", "VARCHAR"),
}
CLOUDFRONT_REQUIRED = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status")


class LogFormatError(ValueError):
    """The file is not a log this system can read (reported, nothing loaded)."""


@dataclass(frozen=True)
class LogShape:
    """What a file holds: its compression, format and, for CloudFront, its field list."""

    compression: str | None  # "gzip", "bz2" or None
    #: "cloudfront", "apache" (Apache, Squid and nginx access logs) or "legacy-sqlite"
    #: (a yearly database of the legacy generator)
    log_format: str
    fields: tuple[str, ...] = ()
    header_lines: int = 0


def compression_of(path: Path) -> str | None:
    """Decide compression from the magic bytes, not the name (names lie, bytes don't)."""
    with open(path, "rb") as fh:
        magic = fh.read(3)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"BZh":
        return "bz2"
    return None


def read_head(path: Path, compression: str | None) -> bytes:
    """The first bytes of the decompressed content."""
    opener = {"gzip": gzip.open, "bz2": bz2.open}.get(compression or "", open)
    try:
        with opener(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise LogFormatError(f"cannot decompress ({compression}): {exc}") from exc


def sniff(path: Path) -> LogShape:
    """Recognise CloudFront (by its `#Fields:` header), Apache/Squid common/combined, or a
    legacy SQLite database (by its magic bytes)."""
    compression = compression_of(path)
    head = read_head(path, compression)
    if head.startswith(SQLITE_MAGIC) and compression is None:
        return LogShape(None, "legacy-sqlite")
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 BOM (an editor's save): not content
        head = head[3:]
    lines = head.split(b"\n")
    header_lines = 0
    fields: tuple[str, ...] = ()
    for raw in lines:
        if not raw.startswith(b"#"):
            break
        header_lines += 1
        text = raw.decode("utf-8", "replace").strip()
        if text.startswith("#Fields:"):
            fields = tuple(text[len("#Fields:") :].split())
    if fields:
        missing = [f for f in CLOUDFRONT_REQUIRED if f not in fields]
        if missing:
            raise LogFormatError(f"CloudFront #Fields header lacks {', '.join(missing)}")
        return LogShape(compression, "cloudfront", fields, header_lines)
    if header_lines:
        raise LogFormatError("header lines without a #Fields: line")
    first = next((ln for ln in lines if ln.strip()), b"")
    if not first and len(head) == 0:
        return LogShape(compression, "apache")  # empty file: loads as zero lines
    if b"[" in first and b'"' in first:
        return LogShape(compression, "apache")
    raise LogFormatError(
        "neither a CloudFront log (#Fields header), an Apache/Squid log, nor a legacy "
        "SQLite database"
    )
