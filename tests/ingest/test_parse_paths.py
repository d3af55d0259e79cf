"""The Apache parser's two paths read every line alike.

`parse_sql.apache_chunk` cuts plain lines with string functions and sends the others through
regular expressions (the plain path is several times cheaper). Both paths run here over the
real corpus (tests/data/logs), the legacy line shapes of test_real_logs, hand-written edge
cases, and seeded random mutations of them all (quotes, backslashes, brackets, digits,
spaces inserted, deleted or replaced), and must give the same row for every line: the same
reject reason, or the same loaded columns.
"""

from __future__ import annotations

import random

import duckdb

from tests.conftest import DATA
from tests.ingest.test_real_logs import VARIANT_LINES
from webstats.ingest.linestream import decode_line
from webstats.ingest.parse_sql import RAW_COLUMNS, apache_chunk

PLAIN = '1.2.3.4 - - [{ts}] "GET /x HTTP/1.1" {status} {bytes} "-" "R (4.3.2)"'
EDGES = [
    PLAIN.format(ts=ts, status=st, bytes=by)
    for ts, st, by in [
        ("15/Jan/2024:00:00:00 +0000", "200", "5"),
        ("15/Jan/2024:00:00:00 +0000", "020", "005"),
        ("15/Jan/2024:00:00:00 +0000", "200", "-5"),
        ("15/Jan/2024:00:00:00 +0000", "200", "+5"),
        ("15/Jan/2024:00:00:00 +0000", "200", "99999999999999999999999"),
        ("15/Jan/2024:00:00:00 +9999", "200", "-"),
        ("15/Jan/2024:00:00:00 -2359", "404", "0"),
        ("29/Feb/2023:00:00:00 +0000", "200", "5"),
        ("15/jan/2024:00:00:00 +0000", "200", "5"),
        ("15/Jan/2024:24:00:00 +0000", "200", "5"),
        ("15/Jan/2024:00:00:00 +01:00", "200", "5"),
        ("5/Jan/2024:00:00:00 +0000", "200", "5"),
        ("31/Dec/2023:23:30:00 -0100", "200", "5"),
    ]
] + [
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "a',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-""a"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5  "-" "a"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "a" "b, c"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1"200 5 "-" "a"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET http://h/x?q=1 HTTP/1.0" 200 5 "-" "a"',
    '1.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET" 200 5 "-" "a"',
    '1.2.3.4-- [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "a"',
    '- - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "a"',
    '"1.2.3.4, 5.6.7.8" 9.9.9.9 - - [15/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.1" 200 5',
    'é.2.3.4 - - [15/Jan/2024:00:00:00 +0000] "GET /é/x HTTP/1.1" 200 5 "é" "aé"',
]
MUTATION_CHARS = ' "\\[]-:/+?0123456789aHTP.,\té'


def _lines(mutations: int) -> list[str]:
    base = [*EDGES, *(decode_line(raw) for raw in VARIANT_LINES)]
    for path in sorted((DATA / "logs").iterdir()):
        if path.name != "README.md":
            base += [decode_line(raw) for raw in path.read_bytes().split(b"\n")]
    base = [line for line in base if line]
    rng = random.Random(13)
    lines = list(base)
    for _ in range(mutations):
        chars = list(rng.choice(base))
        for _ in range(rng.randint(1, 3)):
            op, at = rng.random(), rng.randrange(len(chars))
            if op < 0.4:
                chars.insert(at, rng.choice(MUTATION_CHARS))
            elif op < 0.7:
                del chars[at]
            else:
                chars[at] = rng.choice(MUTATION_CHARS)
        lines.append("".join(chars).replace("\n", " "))
    return lines


def _parsed(con: duckdb.DuckDBPyConnection, plain: bool) -> list[tuple]:
    """Every line's reject reason, or its loaded columns (those of a rejected line are not
    stored, so they need not agree)."""
    loaded = ", ".join(f"case when reject_reason is null then {c} end" for c in RAW_COLUMNS)
    return con.execute(
        f"select line_number, reject_reason, line, {loaded} "
        f"from ({apache_chunk('numbered', plain)}) order by line_number"
    ).fetchall()


def test_plain_and_expression_paths_agree_line_by_line():
    lines = _lines(6000)
    con = duckdb.connect()
    con.execute(
        "create table numbered as select 1 as file_id, cast(n as integer) as line_number, "
        "line from (select unnest(?) as line, unnest(range(1, len(?) + 1)) as n)",
        [lines, lines],
    )
    plain, expressions = _parsed(con, True), _parsed(con, False)
    assert len(plain) == len(lines)
    # both kinds occur, so the comparison covers both outcomes of both paths
    assert 0 < sum(r[1] is None for r in plain) < len(plain)
    other = set(expressions)
    assert [r for r in plain if r not in other] == []
    assert plain == expressions
