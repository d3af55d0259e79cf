"""Real published access logs (tests/data/logs, sources in its README) and variants of them
made here load line by line as an independent reading says, on DuckDB and PostgreSQL.

One load per engine (module scope) serves every assertion. The expectation is computed by
`expected_rows`, a plain-Python reading of the documented rules (docs/warehouse.md, "Log
formats"), separate from the loader's SQL; a few lines are also spelled out by hand.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, TARGETS, drop_warehouse

CORPUS = DATA / "logs"
REAL_FILES = sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")

#: lines in the formats the legacy generator accepted, written here (no public sample has
#: them): Squid's common emulation, escapes, a space in the target, absolute form, Latin-1
VARIANT_LINES = [
    b'203.0.113.5 - - [31/Jan/2024:23:30:00 -0500] "GET http://bioconductor.org/packages/'
    b'3.18/bioc/src/contrib/ACME_2.58.0.tar.gz HTTP/1.0" 200 99 TCP_MISS:DIRECT',
    b'198.51.100.7 - - [01/Feb/2024:00:30:00 +0100] "GET /a/b c.gz HTTP/1.1" 200 5 '
    b'"-" "agent \\"quoted\\" \\\\ x"',
    b'198.51.100.8 - - [01/Feb/2024:00:30:00 +0000] "GET /caf\xe9.tar.gz HTTP/1.1" 200 5 '
    b'"-" "Mozilla \xe9"',
    b'198.51.100.9 - - [01/Feb/2024:00:30:00 +0000] "GET /old" 200 5',
    b"",
    b"not a log line at all",
    b'198.51.100.9 - - [31/Feb/2024:00:30:00 +0000] "GET /x HTTP/1.1" 200 5',
]
HUGE = b'192.0.2.1 - - [01/Feb/2024:00:30:00 +0000] "GET /' + b"x" * 2_000_000 + b' HTTP/1.1" 200 5'

QUOTED = r'"((?:[^"\\]|\\.)*)"'
ORACLE_LINE = re.compile(
    r'^(.*?) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)((?: .*)?)$', re.DOTALL
)


def _unescape(text: str) -> str:
    return re.sub(r'\\(["\\])', r"\1", text)


def _client(head: str) -> str | None:
    tokens = head.split(" ")[:-2]
    if not tokens:
        return None
    first = tokens[0] if len(tokens) == 1 or tokens[0].endswith(",") else tokens[1]
    return first.replace(",", "").replace('"', "") or None


def _read_line(text: str) -> tuple | str:
    """(utc time, client, method, stem, query, status, bytes, agent) or a reject reason."""
    m = ORACLE_LINE.match(text)
    client = _client(m.group(1)) if m else None
    if not m or client is None:
        return "not an Apache/Squid/nginx access log line"
    try:
        local = dt.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        return "bad timestamp: " + m.group(2)
    request = _unescape(m.group(3))
    method, _, rest = request.partition(" ")
    proto = re.search(r" (HTTP/[0-9.]+)$", rest)
    target = rest[: proto.start()] if proto else rest
    if not target:
        return "bad request line: " + request
    target = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", "", target)
    stem, _, query = target.partition("?")
    tail = re.match("^ " + QUOTED + " " + QUOTED, m.group(6))
    agent = _unescape(tail.group(2)) if tail else ""
    return (
        local.astimezone(dt.UTC).replace(tzinfo=None),
        client,
        method,
        stem,
        query or None,
        int(m.group(4)),
        None if m.group(5) == "-" else int(m.group(5)),
        None if agent in ("", "-") else agent,
    )


def expected_rows(name: str, data: bytes) -> tuple[list[tuple], list[tuple]]:
    """(loaded rows, (line number, reason) rejects) of one file, read independently."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rows, rejects = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.removesuffix(b"\r")
        if not raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("iso-8859-1")
        if len(raw) > 1024 * 1024:
            rejects.append((name, number, "line longer than 1048576 bytes"))
            continue
        got = _read_line(text)
        if isinstance(got, str):
            rejects.append((name, number, got))
        else:
            rows.append((name, number, *got))
    return rows, rejects


def make_corpus(root: Path) -> dict[str, bytes]:
    """The real files, plus variants: BOM + CRLF + gzip, the legacy shapes, a huge line."""
    root.mkdir(parents=True)
    contents: dict[str, bytes] = {}
    for name in REAL_FILES:
        shutil.copy(CORPUS / name, root / name)
        contents[name] = (CORPUS / name).read_bytes()
    bom_crlf = b"\xef\xbb\xbf" + (CORPUS / "nginx-test.log").read_bytes().replace(b"\n", b"\r\n")
    (root / "variant-bom-crlf.log.gz").write_bytes(gzip.compress(bom_crlf))
    contents["variant-bom-crlf.log.gz"] = bom_crlf
    legacy = b"\n".join([*VARIANT_LINES, HUGE, VARIANT_LINES[0]]) + b"\n"
    (root / "variant-legacy.log").write_bytes(legacy)
    contents["variant-legacy.log"] = legacy
    return contents


@pytest.fixture(scope="module", params=TARGETS)
def loaded(request, new_warehouse, tmp_path_factory):
    """One warehouse per engine with the corpus loaded once: (warehouse, summary, contents)."""
    root = tmp_path_factory.mktemp("real-logs") / "logs"
    contents = make_corpus(root)
    w = new_warehouse(request.param)
    summary = w.load(root)
    yield w, summary, contents
    drop_warehouse(w)


def _loaded_rows(w) -> list[tuple]:
    return w.query(
        "select l.file_name, r.request_at, r.client_ip, r.method, r.uri_stem, r.uri_query, "
        "r.status, r.bytes_sent, r.user_agent from raw_requests as r "
        "join load_ledger as l using (file_id) order by 1, 2, 3, 5"
    )


def test_every_line_loads_or_is_rejected_as_read_independently(loaded):
    w, summary, contents = loaded
    rows, rejects = [], []
    for name, data in contents.items():
        r, j = expected_rows(name, data)
        rows += r
        rejects += j
    assert summary.ok, summary.problems
    assert (summary.loaded, summary.rejected) == (len(rows), len(rejects))
    want = sorted((r[0], *r[2:]) for r in rows)
    assert sorted(_loaded_rows(w), key=repr) == sorted(want, key=repr)
    got_rejects = w.query("select file_name, line_number, reason from load_rejects order by 1, 2")
    assert got_rejects == sorted(rejects)
    ledger = dict(w.query("select file_name, line_count from load_ledger"))
    assert ledger == {n: sum(1 for x in rows + rejects if x[0] == n) for n in contents}


def test_hand_checked_lines(loaded):
    """What the rules decide for the lines that needed a decision, spelled out."""
    w, _, _ = loaded

    def row(name: str, when: str, ip: str) -> tuple:
        got = w.query(
            "select r.method, r.uri_stem, r.uri_query, r.status, r.user_agent "
            "from raw_requests r join load_ledger l using (file_id) "
            "where l.file_name = ? and r.request_at = cast(? as timestamp) and r.client_ip = ?",
            (name, when, ip),
        )
        assert len(got) >= 1, (name, when, ip)
        return got[0]

    # an X-Forwarded-For list: the first address is the client; +0100 is an hour ahead of UTC
    assert row("nginx-test.log", "2016-12-07 10:05:07", "10.0.0.2")[1] == "/ocelot"
    # a quoted list followed by the proxy's address (nginx "$http_x_forwarded_for $remote_addr")
    assert row("nginx-test.log", "2016-01-22 13:18:29", "10.5.102.222")[2] == "q=100"
    # a vhost before a list, and a vhost with a port
    assert row("nginx-test-with-host.log", "2016-12-07 10:05:07", "81.2.69.143")[0] == "GET"
    assert row(
        "nginx-test-with-host.log", "2016-12-30 06:47:09", "2a02:cf40:10ff:f00f:0000:0000:0:8000"
    )
    # Squid's suffix, absolute form, -0500 past midnight UTC
    squid = row("variant-legacy.log", "2024-02-01 04:30:00", "203.0.113.5")
    assert squid[1] == "/packages/3.18/bioc/src/contrib/ACME_2.58.0.tar.gz"
    # a space in the target, escapes in the agent; Latin-1 bytes
    assert row("variant-legacy.log", "2024-01-31 23:30:00", "198.51.100.7")[1::3] == (
        "/a/b c.gz",
        'agent "quoted" \\ x',
    )
    assert row("variant-legacy.log", "2024-02-01 00:30:00", "198.51.100.8")[1] == "/café.tar.gz"
    reasons = dict(
        w.query("select line_number, reason from load_rejects where file_name = 'nginx-test.log'")
    )
    assert reasons == {7: "bad request line: "}
    huge = w.query(
        "select line_number, reason, line from load_rejects "
        "where file_name = 'variant-legacy.log' and reason like 'line longer%'"
    )
    # its first 4,096 characters are kept, with the client address masked (docs/privacy.md)
    head = HUGE[:4096].decode().replace("192.0.2.1", "<ip>", 1)
    assert huge == [(8, "line longer than 1048576 bytes", head)]


def test_reloading_the_corpus_loads_nothing(loaded):
    w, _, contents = loaded
    before = w.query("select count(*) from raw_requests")
    root = Path(w.query("select min(file_path) from load_ledger")[0][0]).parent
    again = w.load(root)
    assert (again.loaded_files, again.skipped_files, again.ok) == (0, len(contents), True)
    assert w.query("select count(*) from raw_requests") == before
