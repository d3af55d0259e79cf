"""Where loaded requests go: the raw tables of the DuckDB file or of the Postgres schema.

Both stores parse with DuckDB; they differ in where rows land. DuckDB inserts straight from
the CSV reader into the target file. PostgreSQL receives the parsed rows via COPY, which is
the fastest way into it. Either way the rows, the rejects and the ledger entries of a batch
commit together or not at all.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import duckdb

from .config import Settings

RAW_DDL = (
    """create table if not exists raw_requests (
        file_id integer not null,
        request_at timestamp not null,
        edge_location varchar,
        client_ip varchar,
        method varchar,
        uri_stem varchar,
        uri_query varchar,
        status integer,
        bytes_sent bigint,
        user_agent varchar
    )""",
    """create table if not exists load_ledger (
        file_id integer primary key,
        file_name varchar not null,
        file_path varchar,
        content_sha256 varchar not null unique,
        log_format varchar not null,
        line_count integer not null,
        loaded_count integer not null,
        rejected_count integer not null,
        first_request_at timestamp,
        last_request_at timestamp,
        loaded_at timestamp not null
    )""",
    """create table if not exists load_rejects (
        file_id integer not null,
        file_name varchar not null,
        line_number integer,
        reason varchar not null,
        line varchar
    )""",
    # statistics imported from the legacy site (`webstats import-legacy`), for the years
    # before the first loaded log day; empty unless imported (the marts read them always)
    """create table if not exists legacy_stats (
        category varchar not null,
        package varchar not null,
        date date not null,
        is_monthly boolean not null,
        ip_count integer not null,
        download_count integer not null,
        import_id integer not null
    )""",
    """create table if not exists legacy_categorystats (
        category varchar not null,
        date date not null,
        is_monthly boolean not null,
        ip_count integer not null,
        download_count integer not null,
        import_id integer not null
    )""",
)

RAW_COLUMNS_SQL = (
    "file_id, request_at, edge_location, client_ip, method, uri_stem, uri_query, status, "
    "bytes_sent, user_agent"
)
# Ledger queries shared by both stores ({p}: the driver's placeholder).
LEDGER_LOOKUP = (
    "select file_name, content_sha256 = {p} from load_ledger "
    "where file_name = {p} or content_sha256 = {p}"
)
NEXT_FILE_ID = "select coalesce(max(file_id), 0) + 1 from load_ledger"
LEDGER_INSERT = (
    "insert into load_ledger (file_id, file_name, file_path, content_sha256, log_format, "
    "line_count, loaded_count, rejected_count, first_request_at, last_request_at, loaded_at) "
    "values ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {now})"
)


class RawStore(Protocol):
    def ledger_lookup(self, name: str, sha256: str) -> str | None: ...
    def next_file_id(self) -> int: ...
    def parser(self) -> duckdb.DuckDBPyConnection: ...
    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None: ...


def _lookup(rows: list[tuple]) -> str | None:
    """'loaded' when this content is in the ledger, 'conflict' when only the name is."""
    if any(row[1] for row in rows):
        return "loaded"
    return "conflict" if rows else None


def _ledger_values(r) -> tuple:
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
    )


def _apply_counts(results: dict, loaded: list[tuple], rejected: list[tuple]) -> None:
    for file_id, n, first, last in loaded:
        r = results[file_id]
        r.loaded_count, r.first_request_at, r.last_request_at = n, first, last
    for file_id, n in rejected:
        results[file_id].rejected_count = n


class DuckDBStore:
    """Raw tables inside the DuckDB warehouse file; parsing runs in the same database."""

    def __init__(self, path: Path):
        self.con = duckdb.connect(str(path))
        for ddl in RAW_DDL:
            self.con.execute(ddl)

    def close(self) -> None:
        self.con.close()

    def ledger_lookup(self, name: str, sha256: str) -> str | None:
        sql = LEDGER_LOOKUP.format(p="?")
        return _lookup(self.con.execute(sql, [sha256, name, sha256]).fetchall())

    def next_file_id(self) -> int:
        return self.con.execute(NEXT_FILE_ID).fetchone()[0]

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        con = self.con
        ids = sorted(results)
        _register_names(con, results)
        con.execute("begin transaction")
        try:
            con.execute(f"insert into raw_requests ({RAW_COLUMNS_SQL}) {rows_sql}")
            loaded = con.execute(
                "select file_id, count(*), min(request_at), max(request_at) from raw_requests "
                "where file_id between ? and ? group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            con.execute(
                "insert into load_rejects "
                "select r.file_id, m.name, r.line_number, r.reason, r.line "
                f"from ({rejects_sql}) as r join batch_names as m using (file_id)"
            )
            rejected = con.execute(
                "select file_id, count(*) from load_rejects where file_id between ? and ? "
                "group by file_id",
                [ids[0], ids[-1]],
            ).fetchall()
            _apply_counts(results, loaded, rejected)
            con.executemany(
                LEDGER_INSERT.format(p="?", now="current_timestamp::timestamp"),
                [_ledger_values(r) for r in results.values()],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _register_names(con: duckdb.DuckDBPyConnection, results: dict) -> None:
    """Register the batch's file names for joining rejects to them."""
    con.execute("create or replace temp table batch_names (file_id integer, name varchar)")
    con.executemany(
        "insert into batch_names values (?, ?)", [(k, r.file_name) for k, r in results.items()]
    )


class PostgresStore:
    """Raw tables in the Postgres schema; DuckDB (in memory) parses, COPY delivers."""

    def __init__(self, schema: str):
        import psycopg

        self.schema = schema
        self.pg = psycopg.connect(options=f"-csearch_path={schema}")
        with self.pg.transaction():
            self.pg.execute(f'create schema if not exists "{schema}"')
            for ddl in RAW_DDL:
                self.pg.execute(ddl)
        self.duck = duckdb.connect()
        self.tmp = tempfile.TemporaryDirectory()

    def close(self) -> None:
        self.pg.close()
        self.duck.close()
        self.tmp.cleanup()

    def ledger_lookup(self, name: str, sha256: str) -> str | None:
        sql = LEDGER_LOOKUP.format(p="%s")
        rows = self.pg.execute(sql, [sha256, name, sha256]).fetchall()
        self.pg.rollback()  # a read: end the transaction psycopg opened
        return _lookup(rows)

    def next_file_id(self) -> int:
        n = self.pg.execute(NEXT_FILE_ID).fetchone()[0]
        self.pg.rollback()
        return n

    def parser(self) -> duckdb.DuckDBPyConnection:
        return self.duck

    def store_batch(self, rows_sql: str, rejects_sql: str, results: dict) -> None:
        duck = self.duck
        _register_names(duck, results)
        duck.execute(f"create or replace temp table batch_rows as {rows_sql}")
        duck.execute(
            "create or replace temp table batch_rejects as select r.file_id, m.name, "
            f"r.line_number, r.reason, r.line from ({rejects_sql}) as r "
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
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.executemany(
                LEDGER_INSERT.format(p="%s", now="now() at time zone 'utc'"),
                [_ledger_values(r) for r in results.values()],
            )
            _copy_file(
                cur, f"copy raw_requests ({RAW_COLUMNS_SQL}) from stdin (format csv)", rows_csv
            )
            _copy_file(cur, "copy load_rejects from stdin (format csv)", rejects_csv)


def _copy_file(cur, statement: str, path: Path) -> None:
    with cur.copy(statement) as copy, open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            copy.write(chunk)


@contextlib.contextmanager
def open_store(settings: Settings) -> Iterator[RawStore]:
    if settings.target == "duckdb":
        store: DuckDBStore | PostgresStore = DuckDBStore(settings.duckdb_path)
    elif settings.target == "postgres":
        store = PostgresStore(settings.pg_schema)
    else:
        raise ValueError(
            "the athena target reads logs in place from S3 (see `dbt run-operation "
            "create_cloudfront_table`); `webstats load` writes to duckdb or postgres"
        )
    try:
        yield store
    finally:
        store.close()
