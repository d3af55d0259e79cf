"""The legacy generator's yearly SQLite databases as a source of requests.

The legacy generator (Bioconductor's download_stats, `makeDownloadDbs.py`) kept every
download it parsed from the Squid, Apache and CloudFront logs in a table `access_log`, one
row per request, its time split into `day_month_year` ("31/Dec/2010"), `month_year`,
`time` ("23:30:00") and `utc_offset` ("-0800"; "-0000" for CloudFront). For 2009-2012 these
databases are the only per-request record there is.

Why the rows are rewritten as Apache combined lines: the Apache parser
(`parse_sql.apache_chunk`) then reads them, so an archived request and the same request in
a log load alike (the first address of an IP list is the client, an absolute-form URL loses
its scheme and host, the offset is applied and the local day kept), and a row it cannot
read is rejected with the same reasons. A row's line number is its position in rowid order.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .formats import LogFormatError
from .linestream import Chunk, decode_line, file_sha256

#: rows handed to DuckDB at a time (about 30 MB of rewritten lines)
CHUNK_ROWS = 150_000
#: the columns read, in the order of the rewritten line; the status column is `errorcode`
#: in the SQLite generator, `statuscode` in its later DuckDB version
COLUMNS = ("ips", "day_month_year", "time", "utc_offset", "method", "url", "protocol")
STATUS_COLUMNS = ("statuscode", "errorcode")
TAIL_COLUMNS = ("bytes", "referer", "user_agent")


def _plain(value: object) -> str:
    """A value as line text: '-' for NULL, one line (a line break would split the row)."""
    if value is None:
        return "-"
    text = decode_line(value) if isinstance(value, bytes) else str(value)
    # a line break would split the row; NUL cannot be stored in PostgreSQL text
    return text.replace("\r", " ").replace("\n", " ").replace("\x00", "\ufffd")


def _quoted(value: object) -> str:
    """A value inside a quoted field, escaped as Apache escapes it."""
    return _plain(value).replace("\\", "\\\\").replace('"', '\\"')


def as_line(row: tuple) -> str:
    """An access_log row as the Apache combined line it was parsed from."""
    ips, day, time, offset, method, url, protocol, status, nbytes, referer, agent = row
    request = " ".join(_quoted(v) for v in (method, url, protocol))
    return (
        f"{_plain(ips)} - - [{_plain(day)}:{_plain(time)} {_plain(offset)}] "
        f'"{request}" {_plain(status)} {_plain(nbytes)} "{_quoted(referer)}" "{_quoted(agent)}"'
    )


def _file_state(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class LegacyRows:
    """One pass over a legacy database's `access_log`: chunks of numbered lines, then the
    database's hash (of the bytes read; a database changed while read is refused)."""

    def __init__(self, path: Path, chunk_rows: int = CHUNK_ROWS):
        self.path = path
        self.chunk_rows = chunk_rows
        self.sha256 = ""
        self.size = 0

    def _select(self, con: sqlite3.Connection) -> str:
        names = {r[1].lower() for r in con.execute("pragma table_info(access_log)")}
        if not names:
            raise LogFormatError("a SQLite database without an access_log table")
        status = next((c for c in STATUS_COLUMNS if c in names), None)
        missing = [c for c in COLUMNS + TAIL_COLUMNS if c not in names]
        if status is None or missing:
            lacking = ", ".join(missing + ([] if status else ["statuscode"]))
            raise LogFormatError(f"access_log lacks the legacy columns {lacking}")
        cols = ", ".join((*COLUMNS, status, *TAIL_COLUMNS))
        return f"select {cols} from access_log order by rowid"

    def chunks(self) -> Iterator[Chunk]:
        """The rows as chunks of lines; `sha256` and `size` are set once exhausted."""
        before = _file_state(self.path)
        digest = file_sha256(self.path)
        uri = f"file:{self.path}?mode=ro&immutable=1"
        try:
            con = sqlite3.connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise LogFormatError(f"cannot open the SQLite database: {exc}") from exc
        try:
            select = self._select(con)
            con.text_factory = bytes  # text not in UTF-8 is read as ISO-8859-1 (per value)
            cur = con.execute(select)
            number = 1
            while rows := cur.fetchmany(self.chunk_rows):
                text = "\n".join(as_line(r) for r in rows)
                yield Chunk(number, text.encode("utf-8"), len(rows), [])
                number += len(rows)
        except sqlite3.Error as exc:
            raise LogFormatError(f"cannot read the SQLite database: {exc}") from exc
        finally:
            con.close()
        if _file_state(self.path) != before:
            raise LogFormatError("the database changed while it was read")
        self.sha256, self.size = digest, before[0]
