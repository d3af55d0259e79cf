"""Where loaded requests go: the raw tables of the DuckDB file or of the Postgres schema.

Both stores parse with DuckDB; they differ in where rows land (the one difference between
the engines this layer cannot hand to webstats.core.warehouse). DuckDB inserts straight
from the CSV reader into the warehouse file. PostgreSQL receives the parsed rows via COPY,
the fastest way into it. Either way the rows, the rejects and the ledger entries of a batch
commit together or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from webstats.core.settings import PROJECT_DIR, Settings
from webstats.core.warehouse import Connection, connect

#: the one copy of the raw tables' DDL: a dbt macro whose body is plain SQL (dbt runs it
#: at the start of every run, so that dbt alone works on a fresh warehouse)
RAW_DDL_MACRO = PROJECT_DIR / "macros" / "raw" / "raw_tables.sql"
_MACRO_BODY = re.compile(
    r"\{%-?\s*macro raw_tables_ddl\(\)\s*-?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.DOTALL
)
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def read_raw_ddl(path: Path = RAW_DDL_MACRO) -> tuple[str, ...]:
    """The `create table if not exists` statements of the raw_tables_ddl macro."""
    match = _MACRO_BODY.search(path.read_text())
    if match is None:
        raise ValueError(f"{path}: no raw_tables_ddl macro")
    body = _JINJA_COMMENT.sub("", match.group(1))
    if "{{" in body or "{%" in body:
        raise ValueError(f"{path}: raw_tables_ddl must be plain SQL (Python runs it too)")
    lines = [line for line in body.splitlines() if not line.strip().startswith("--")]
    return tuple(s.strip() for s in "\n".join(lines).split(";") if s.strip())


RAW_DDL = read_raw_ddl()
RAW_COLUMNS_SQL = (
    "file_id, request_at, edge_location, client_ip, method, uri_stem, uri_query, status, "
    "bytes_sent, user_agent"
)
#: tables written by Python (loader, legacy import), read by dbt as sources
RAW_TABLES: tuple[str, ...] = tuple(
    m.group(1)
    for ddl in RAW_DDL
    if (m := re.search(r"create table if not exists\s+(\w+)", ddl, re.IGNORECASE))
)
#: IP address literals in a rejected line (RE2, as DuckDB runs it): dotted IPv4, and IPv6
#: written in full (8 groups) or with `::`. Times (`10:20:30`) do not match.
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_RE = rf"\b{_OCTET}(\.{_OCTET}){{3}}\b"
_H = "[0-9A-Fa-f]{1,4}"
IPV6_RE = (
    rf"({_H}:){{7}}{_H}|({_H}:){{1,6}}(:{_H}){{1,6}}(\.[0-9]{{1,3}}){{0,3}}|({_H}:){{1,7}}:"
    rf"|:(:{_H}){{1,7}}(\.[0-9]{{1,3}}){{0,3}}|::"
)
MASK = "<ip>"


def masked_line(expr: str) -> str:
    """SQL of `expr` (a rejected line, or the reason, which may quote it) with every IP
    literal replaced by `<ip>`: a reject keeps its shape and its reason, never the client's
    address (docs/privacy.md)."""
    inner = f"regexp_replace({expr}, '{IPV6_RE}', '{MASK}', 'g')"
    return f"regexp_replace({inner}, '{IPV4_RE}', '{MASK}', 'g')"


LEDGER_LOOKUP = (
    "select file_name, content_sha256 = ? from load_ledger "
    "where file_name = ? or content_sha256 = ?"
)
LEDGER_INSERT = (
    "insert into load_ledger (file_id, file_name, file_path, content_sha256, log_format, "
    "line_count, loaded_count, rejected_count, first_request_at, last_request_at, loaded_at) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def create_raw_tables(con: Connection) -> None:
    """The raw tables, created empty where missing (dbt reads them as sources)."""
    for ddl in RAW_DDL:
        con.execute(ddl)


def _lookup(rows: list[tuple]) -> str | None:
    """'loaded' when this content is in the ledger, 'conflict' when only the name is."""
    if any(row[1] for row in rows):
        return "loaded"
    return "conflict" if rows else None


def _ledger_values(r, loaded_at: dt.datetime) -> tuple:
    return (
        r.file_id,
        r.file_name,
        r.file_path,
        r.content_sha256,
        r.log_format,
        r.line_count,
        r.loaded_count,
        r.rejected_count,
        r.first_request_at,
        r.last_request_at,
        loaded_at,
    )


def _apply_counts(results: dict, loaded: list[tuple], rejected: list[tuple]) -> None:
    for file_id, n, first, last in loaded:
        r = results[file_id]
        r.loaded_count, r.first_request_at, r.last_request_at = n, first, last
    for file_id, n in rejected:
        results[file_id].rejected_count = n


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _register_names(con: duckdb.DuckDBPyConnection, results: dict) -> None:
    """Register the batch's file names for joining rejects to them."""
    con.execute("create or replace temp table batch_names (file_id integer, name varchar)")
    con.executemany(
        "insert into batch_names values (?, ?)", [(k, r.file_name) for k, r in results.items()]
    )


class RawStore:
    """The raw tables of one warehouse: the ledger, and where a parsed batch is stored."""

    def __init__(self, settings: Settings):
        self.db = connect(settings, create_schema=True)
        with self.db.transaction():
            create_raw_tables(self.db)

    def close(self) -> None:
        self.db.close()

    def ledger_lookup(self, name: str, sha256: str) -> str | None:
        return _lookup(self.db.execute(LEDGER_LOOKUP, [sha256, name, sha256]).fetchall())

    def next_file_id(self) -> int:
        return self.db.execute(
            "select coalesce(max(file_id), 0) + 1 from load_ledger"
        ).fetchone()[0]

    def parser(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection the batch SQL (webstats.ingest.parse_sql) runs in."""
        raise NotImplementedError

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        """Store a parsed batch and its ledger rows in one transaction; fill in the counts."""
        raise NotImplementedError


class DuckDBStore(RawStore):
    """Raw tables inside the DuckDB warehouse file; parsing runs in the same database."""

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.db.raw

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        con = self.db.raw
        ids = sorted(results)
        _register_names(con, results)
        with self.db.transaction():
            con.execute(f"insert into raw_requests ({RAW_COLUMNS_SQL}) {rows_sql}")
            loaded = con.execute(
                "select file_id, count(*), min(request_at), max(request_at) from raw_requests "
                "where file_id between ? and ? group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            con.execute(
                "insert into load_rejects "
                f"select r.file_id, m.name, r.line_number, {masked_line('r.reason')}, "
                f"{masked_line('r.line')} "
                f"from ({rejects_sql}) as r join batch_names as m using (file_id)"
            )
            rejected = con.execute(
                "select file_id, count(*) from load_rejects where file_id between ? and ? "
                "group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            _apply_counts(results, loaded, rejected)
            now = _utc_now()
            con.executemany(LEDGER_INSERT, [_ledger_values(r, now) for r in results.values()])


class PostgresStore(RawStore):
    """Raw tables in the PostgreSQL schema; DuckDB (in memory) parses, COPY delivers."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.duck = duckdb.connect()
        self.tmp = tempfile.TemporaryDirectory()

    def close(self) -> None:
        super().close()
        self.duck.close()
        self.tmp.cleanup()

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.duck

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        duck = self.duck
        _register_names(duck, results)
        duck.execute(f"create or replace temp table batch_rows as {rows_sql}")
        duck.execute(
            "create or replace temp table batch_rejects as select r.file_id, m.name, "
            f"r.line_number, {masked_line('r.reason')}, {masked_line('r.line')} "
            f"from ({rejects_sql}) as r "
            "join batch_names as m using (file_id)"
        )
        loaded = duck.execute(
            "select file_id, count(*), min(request_at), max(request_at) from batch_rows "
            "group by file_id"
        ).fetchall()
        rejected = duck.execute(
            "select file_id, count(*) from batch_rejects group by file_id"
        ).fetchall()
        _apply_counts(results, loaded, rejected)
        rows_csv = Path(self.tmp.name) / "rows.csv"
        rejects_csv = Path(self.tmp.name) / "rejects.csv"
        duck.execute(f"copy batch_rows to '{rows_csv}' (format csv, header false)")
        duck.execute(f"copy batch_rejects to '{rejects_csv}' (format csv, header false)")
        now = _utc_now()
        with self.db.transaction():
            self.db.executemany(LEDGER_INSERT, [_ledger_values(r, now) for r in results.values()])
            self.db.copy_csv("raw_requests", rows_csv, RAW_COLUMNS_SQL)
            self.db.copy_csv("load_rejects", rejects_csv)


@contextlib.contextmanager
def open_store(settings: Settings) -> Iterator[RawStore]:
    if settings.target == "duckdb":
        store: RawStore = DuckDBStore(settings)
    elif settings.target == "postgres":
        store = PostgresStore(settings)
    else:
        raise ValueError(
            "the athena target reads logs in place from S3 (see `dbt run-operation "
            "create_cloudfront_table`); `webstats load` writes to duckdb or postgres"
        )
    try:
        yield store
    finally:
        store.close()
