"""What a client address says, looked up in the database as one set operation per batch.

A load annotates each batch of parsed requests with facts about the client address, while
it is still in the clear (`stg_requests` replaces it by its keyed hash): its country
(geo.py) and the cloud provider whose published ranges hold it (cloud.py). Both are tables
of address ranges shipped in packages. Looking each distinct address up in Python cost
most of a 10M-line load (docs/benchmarks.md); here each table is turned once per process
into disjoint integer ranges (a Parquet file), and a batch's distinct addresses are parsed
to integers in SQL and matched with one ASOF join per table, in DuckDB, for both stores
(the PostgreSQL store parses in DuckDB too, then COPYs).

Addresses are keyed as geoip2fast keys them: an IPv4 address by its 32-bit value, an IPv6
address by its 128-bit value, in one space (so the deprecated IPv4-compatible form
`::a.b.c.d` is looked up as a.b.c.d). Only what Python's `ipaddress` accepts is an address
(strict: no leading zeros, no `1.2.3`, no zone `%eth0`), after stripping ASCII whitespace.
"""

from __future__ import annotations

import atexit
import bisect
import functools
import importlib.util
import ipaddress
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from .parse_sql import sql_literal

#: one address is looked up as (first, prefix length, label) networks of a table say;
#: a label of None is "nothing" (a private range, a network the data does not place)
Network = tuple[int, int, str | None]

_V4_LIMIT = 1 << 32
_LOW = (1 << 64) - 1
#: what Python's str.strip() removes that an address may carry around it (ASCII)
_SPACE = " \t\n\r\x0b\x0c"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_H = "[0-9A-Fa-f]{1,4}"
#: an IPv6 address in hex groups, as ipaddress accepts it: 8 groups, or fewer with one
#: `::` standing for at least one group of zeros
_V6 = "|".join(
    [
        rf"({_H}:){{7}}{_H}",
        rf"({_H}:){{1,7}}:",
        *(rf"({_H}:){{1,{k}}}(:{_H}){{1,{7 - k}}}" for k in range(6, 0, -1)),
        rf":((:{_H}){{1,7}}|:)",
    ]
)


def segments(networks: Iterable[Network]) -> list[tuple[int, int, str]]:
    """Disjoint (first, last, label) ranges of possibly nested networks, the most specific
    network deciding (as routing does), without the ranges labelled None. CIDR networks are
    nested or disjoint, so one sweep with a stack of the enclosing networks does it."""
    spans = [
        (first, first + (1 << ((32 if first < _V4_LIMIT else 128) - length)) - 1, label)
        for first, length, label in networks
    ]
    # in order, and nothing nested in a labelled network (geoip2fast: only its reserved
    # 240.0.0.0/4 holds 255.255.255.255/32): the labelled networks are the ranges
    if all(
        a[0] < b[0] and (a[1] < b[0] or a[2] is None)
        for a, b in zip(spans, spans[1:], strict=False)
    ):
        return [s for s in spans if s[2] is not None]
    spans.sort(key=lambda s: (s[0], -s[1]))  # an outer network before an inner at one start
    out: list[tuple[int, int, str | None]] = []
    stack: list[tuple[int, int, str | None]] = []
    cursor = 0

    def emit(upto: int, label: str | None) -> None:
        nonlocal cursor
        if cursor <= upto:
            out.append((cursor, upto, label))
        cursor = upto + 1

    for first, last, label in spans:
        while stack and stack[-1][1] < first:
            emit(stack[-1][1], stack.pop()[2])
        if stack:
            emit(first - 1, stack[-1][2])
        cursor = first
        stack.append((first, last, label))
    while stack:
        emit(stack[-1][1], stack.pop()[2])
    return [(f, t, lab) for f, t, lab in out if lab is not None]


def lookup_segments(ranges: list[tuple[int, int, str]], key: int | None) -> str | None:
    """The label of the range holding `key` (what the SQL join answers), for the tests."""
    if key is None:
        return None
    i = bisect.bisect_right(ranges, (key, 1 << 129)) - 1
    if i >= 0 and ranges[i][0] <= key <= ranges[i][1]:
        return ranges[i][2]
    return None


def address_key(address: str | None) -> int | None:
    """The integer key of an address as the SQL derives it (None: not an address)."""
    if not address:
        return None
    text = address.strip(_SPACE)
    if "%" in text:  # a zone: ipaddress accepts it, the lookups do not
        return None
    try:
        return int(ipaddress.ip_address(text))
    except ValueError:
        return None


def data_path(package: str, name: str) -> Path:
    """A data file shipped inside an installed package."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ImportError(f"{package} is not installed")
    return Path(spec.origin).parent / name


_WORKDIR: list[Path] = []


def _workdir() -> Path:
    if not _WORKDIR:
        path = Path(tempfile.mkdtemp(prefix="webstats-networks-"))
        atexit.register(shutil.rmtree, path, True)
        _WORKDIR.append(path)
    return _WORKDIR[0]


@functools.cache
def table_file(name: str, build: Callable[[], Iterable[Network]]) -> Path:
    """A Parquet file of `name`'s ranges (first_ip, last_ip uhugeint, label), written once
    per process (reading the package's data and sweeping it takes a few seconds)."""
    workdir = _workdir()
    text = workdir / f"{name}.csv"
    with open(text, "w") as out:
        out.writelines(f"{f},{t},{lab}\n" for f, t, lab in segments(build()))
    path = workdir / f"{name}.parquet"
    con = duckdb.connect()
    try:
        # Parquet has no 128-bit integer (DuckDB would write a double): two 64-bit halves
        halves = ", ".join(
            f"cast({c} >> 64 as ubigint) as {c}_hi, cast({c} & {_LOW} as ubigint) as {c}_lo"
            for c in ("first_ip", "last_ip")
        )
        con.execute(
            f"copy (select {halves}, label from read_csv(?, header = false, quote = '', "
            "escape = '', columns = {'first_ip': 'uhugeint', 'last_ip': 'uhugeint', "
            "'label': 'varchar'}) order by first_ip) "
            f"to {sql_literal(str(path))} (format parquet)",
            [str(text)],
        )
    finally:
        con.close()
    text.unlink()
    return path


def keys_sql(addresses: str) -> str:
    """SELECT of the distinct `client_ip` of `addresses` with its integer key `ip_key`
    (uhugeint), null when it is not an address (see the module doc). IPv6: an IPv4 suffix
    becomes two hex groups, `::` becomes its groups of zeros, the eight groups the value."""
    v4_value = (
        "cast(v4.a as uhugeint) * 16777216 + cast(v4.b as uhugeint) * 65536 "
        "+ cast(v4.c as uhugeint) * 256 + cast(v4.d as uhugeint)"
    )
    v6_value = " + ".join(
        f"try_cast('0x' || split_part(groups, ':', {i + 1}) as uhugeint) "
        f"* cast('{1 << (16 * (7 - i))}' as uhugeint)"
        for i in range(8)
    )
    return f"""
        with trimmed as (
            select distinct client_ip, trim(client_ip, {sql_literal(_SPACE)}) as a
            from {addresses} where client_ip is not null
        ),
        parsed as (
            -- each pattern only where it can match (most addresses are IPv4)
            select
                client_ip, a,
                case when not contains(a, ':') then
                    regexp_extract(a, '^{_V4}$', ['a', 'b', 'c', 'd']) end as v4,
                case when contains(a, ':') and contains(a, '.') then
                    regexp_extract(a, '^(.*:){_V4}$', ['p', 'a', 'b', 'c', 'd']) end as sfx
            from trimmed
        ),
        hexed as (
            -- IPv6 with an IPv4 suffix: the suffix as two hex groups
            select client_ip, v4, case when coalesce(sfx.p, '') <> '' then sfx.p || printf('%x:%x',
                cast(sfx.a as integer) * 256 + cast(sfx.b as integer),
                cast(sfx.c as integer) * 256 + cast(sfx.d as integer)) else a end as h
            from parsed
        ),
        halves as (
            select
                *, case when contains(h, ':') then regexp_full_match(h, '{_V6}') end as is_v6,
                split_part(h, '::', 1) as l, split_part(h, '::', 2) as r
            from hexed
        ),
        expanded as (
            -- `::` as the groups of zeros it stands for: eight groups
            select client_ip, v4, is_v6, case when contains(h, '::') then concat_ws(':',
                nullif(l, ''),
                rtrim(repeat('0:', 8 - {_count_groups("l")} - {_count_groups("r")}), ':'),
                nullif(r, '')) else h end as groups
            from halves
        )
        select
            client_ip,
            case when v4.a <> '' then {v4_value} when is_v6 then {v6_value} end as ip_key
        from expanded"""


def _count_groups(part: str) -> str:
    return (
        f"(case when {part} = '' then 0 "
        f"else length({part}) - length(replace({part}, ':', '')) + 1 end)"
    )


def ensure_table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    """The ranges as a temp table of this connection (once; a rolled-back batch that
    created it leaves it to the next)."""
    whole = ", ".join(
        f"(cast({c}_hi as uhugeint) << 64) | {c}_lo as {c}" for c in ("first_ip", "last_ip")
    )
    con.execute(
        f"create temp table if not exists {name} as "
        f"select {whole}, label from read_parquet({sql_literal(str(path))})"
    )


def match_sql(keys: str, table: str, label: str) -> str:
    """SELECT of `keys` (client_ip, ip_key) with the label of the range of `table` holding
    each key (`label`, null for none): an ASOF join takes the last range starting at or
    before the key, which holds it if it ends at or after it."""
    return (
        f"select k.client_ip, case when k.ip_key <= r.last_ip then r.label end as {label} "
        f"from {keys} as k asof left join {table} as r on k.ip_key >= r.first_ip"
    )
