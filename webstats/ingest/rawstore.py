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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import duckdb

from webstats.core.settings import PROJECT_DIR, Settings
from webstats.core.warehouse import Connection, connect
from webstats.ingest.addresses import AddressFacts

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
#: DuckDB's memory cap while loading (the warehouse connection and the parsers)
LOAD_MEMORY = "512MB"
RAW_COLUMNS_SQL = (
    "file_id, request_at, edge_location, client_ip, method, uri_stem, uri_query, status, "
    "bytes_sent, user_agent, local_date, client_country, client_network"
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
    "line_count, loaded_count, rejected_count, first_request_at, last_request_at, loaded_at, "
    "byte_count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


#: columns added since a ledger may have been created (run by Python only: in the staging
#: schema dbt builds in, the raw tables are views, which ALTER TABLE refuses)
RAW_UPGRADES = (
    "alter table load_ledger add column if not exists byte_count bigint",
    "alter table raw_requests add column if not exists local_date date",
    "alter table raw_requests add column if not exists client_country varchar",
    "alter table raw_requests add column if not exists client_network varchar",
)


def create_raw_tables(con: Connection) -> None:
    """The raw tables, created empty where missing (dbt reads them as sources), and brought
    up to date."""
    for ddl in RAW_DDL + RAW_UPGRADES:
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
        r.byte_count,
    )


class AllRejected(ValueError):
    """Every line of a file was rejected: the file is reported, not recorded as loaded (a
    later parser may read it; `webstats load` tries it again)."""


def _apply_counts(results: dict, loaded: list[tuple], rejected: list[tuple]) -> None:
    for file_id, n, first, last in loaded:
        r = results[file_id]
        r.loaded_count, r.first_request_at, r.last_request_at = n, first, last
    for file_id, n in rejected:
        results[file_id].rejected_count = n
    for r in results.values():
        if r.loaded_count == 0 and r.rejected_count > 0:
            raise AllRejected(f"all {r.rejected_count} lines were rejected")


def _add_counts(totals: dict, loaded: list[tuple], rejected: list[tuple]) -> None:
    """Fold one chunk's per-file counts into the running (loaded, first, last) and rejected."""
    for file_id, n, first, last in loaded:
        m, lo, hi = totals["loaded"].get(file_id, (0, first, last))
        totals["loaded"][file_id] = (m + n, min(lo, first), max(hi, last))
    for file_id, n in rejected:
        totals["rejected"][file_id] = totals["rejected"].get(file_id, 0) + n


def _record(db: Connection, results: dict, keep_empty: bool, after) -> None:
    """The ledger rows of a stored batch, then the caller's last step (same transaction)."""
    now = _utc_now()
    rows = [_ledger_values(r, now) for r in results.values() if keep_empty or r.line_count]
    if rows:
        db.executemany(LEDGER_INSERT, rows)
    if after is not None:
        after()


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
        # the client's country and network, looked up before anything hashes the address
        self.addresses = AddressFacts()
        with self.db.transaction():
            create_raw_tables(self.db)

    def close(self) -> None:
        self.db.close()

    def ledger_lookup(self, name: str, sha256: str) -> str | None:
        return _lookup(self.db.execute(LEDGER_LOOKUP, [sha256, name, sha256]).fetchall())

    def versions(self, name: str) -> list[tuple[str, int]]:
        """(content hash, bytes read) of the loaded versions of a file name, longest first."""
        return self.db.execute(
            "select content_sha256, byte_count from load_ledger "
            "where file_name = ? and byte_count is not null order by byte_count desc",
            [name],
        ).fetchall()

    def reparse_candidates(self) -> list[tuple]:
        """(file_id, name, path, hash, bytes) of loaded line-by-line files with rejects."""
        return self.db.execute(
            "select file_id, file_name, file_path, content_sha256, byte_count from load_ledger "
            "where log_format in ('apache', 'legacy-sqlite') and rejected_count > 0 "
            "and content_sha256 not like '%+reparse%' order by file_id"
        ).fetchall()

    def rejected_lines(self, file_id: int) -> list[int]:
        return [
            r[0]
            for r in self.db.execute(
                "select line_number from load_rejects where file_id = ? "
                "and line_number is not null",
                [file_id],
            ).fetchall()
        ]

    def forget_rejects(self, file_id: int, numbers: list[int]) -> None:
        """Re-parsed lines leave the rejects and the old ledger row's counts (in the open
        transaction of store_parts)."""
        if not numbers:
            return
        self.db.executemany(
            "delete from load_rejects where file_id = ? and line_number = ?",
            [(file_id, n) for n in numbers],
        )
        self.db.execute(
            "update load_ledger set rejected_count = rejected_count - ?, "
            "line_count = line_count - ? where file_id = ?",
            [len(numbers), len(numbers), file_id],
        )

    def next_file_id(self) -> int:
        return self.db.execute("select coalesce(max(file_id), 0) + 1 from load_ledger").fetchone()[
            0
        ]

    def parser(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection the batch SQL (webstats.ingest.parse_sql) runs in."""
        raise NotImplementedError

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        """Store a parsed batch and its ledger rows in one transaction; fill in the counts."""
        self.store_parts(results, [(rows_sql, rejects_sql)])

    def store_parts(
        self,
        results: dict,
        parts: Iterable[tuple[str, str]],
        after: Callable[[], None] | None = None,
        keep_empty: bool = True,
    ) -> None:
        """Store the (rows SELECT, rejects SELECT) of each part as it comes (a streamed file's
        chunks), then the ledger rows (not of files without lines unless `keep_empty`), then
        run `after`, all in one transaction; fill in the counts."""
        raise NotImplementedError


class DuckDBStore(RawStore):
    """Raw tables inside the DuckDB warehouse file; parsing runs in the same database."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        # DuckDB caches up to 80% of RAM by default: a long load's RSS then grows with the
        # data written; capped, it evicts (written pages) or spills instead
        self.db.raw.execute(f"set memory_limit = '{LOAD_MEMORY}'")

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.db.raw

    def store_parts(self, results, parts, after=None, keep_empty=True) -> None:
        con = self.db.raw
        ids = sorted(results)
        _register_names(con, results)
        with self.db.transaction():
            for rows_sql, rejects_sql in parts:
                self._insert(rows_sql, rejects_sql)
            loaded = con.execute(
                "select file_id, count(*), min(request_at), max(request_at) from raw_requests "
                "where file_id between ? and ? group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            rejected = con.execute(
                "select file_id, count(*) from load_rejects where file_id between ? and ? "
                "group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            _apply_counts(results, loaded, rejected)
            _record(self.db, results, keep_empty, after)

    def _insert(self, rows_sql: str, rejects_sql: str) -> None:
        con = self.db.raw
        con.execute(f"create or replace temp table batch_rows as {rows_sql}")
        with_facts = self.addresses.annotate(con, "batch_rows")
        con.execute(f"insert into raw_requests ({RAW_COLUMNS_SQL}) {with_facts}")
        con.execute("drop table batch_rows")
        con.execute(
            "insert into load_rejects "
            f"select r.file_id, m.name, r.line_number, {masked_line('r.reason')}, "
            f"{masked_line('r.line')} "
            f"from ({rejects_sql}) as r join batch_names as m using (file_id)"
        )


class PostgresStore(RawStore):
    """Raw tables in the PostgreSQL schema; DuckDB (in memory) parses, COPY delivers."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.duck = duckdb.connect(config={"memory_limit": LOAD_MEMORY})
        self.tmp = tempfile.TemporaryDirectory()

    def close(self) -> None:
        super().close()
        self.duck.close()
        self.tmp.cleanup()

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.duck

    def store_parts(self, results, parts, after=None, keep_empty=True) -> None:
        _register_names(self.duck, results)
        totals: dict[str, dict] = {"loaded": {}, "rejected": {}}
        with self.db.transaction():
            for rows_sql, rejects_sql in parts:
                self._copy_part(rows_sql, rejects_sql, totals)
            loaded = [(k, *v) for k, v in totals["loaded"].items()]
            _apply_counts(results, loaded, list(totals["rejected"].items()))
            _record(self.db, results, keep_empty, after)

    def _copy_part(self, rows_sql: str, rejects_sql: str, totals: dict) -> None:
        """Parse one part in DuckDB, count it, COPY it into PostgreSQL (in the open
        transaction)."""
        duck = self.duck
        duck.execute(f"create or replace temp table batch_parsed as {rows_sql}")
        with_facts = self.addresses.annotate(duck, "batch_parsed")
        duck.execute(f"create or replace temp table batch_rows as {with_facts}")
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
        _add_counts(totals, loaded, rejected)
        rows_csv = Path(self.tmp.name) / "rows.csv"
        rejects_csv = Path(self.tmp.name) / "rejects.csv"
        duck.execute(f"copy batch_rows to '{rows_csv}' (format csv, header false)")
        duck.execute(f"copy batch_rejects to '{rejects_csv}' (format csv, header false)")
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
