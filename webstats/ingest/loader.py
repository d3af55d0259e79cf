"""`webstats load`: log files -> `raw_requests`, once per file, whole or not at all.

A file's identity is its content hash. Files are read by DuckDB in batches of files with the
same shape (one `read_csv` call, parallel across files); a batch is one transaction. If a
batch fails (a corrupt or truncated file), it is rolled back and its files are retried one
by one, so one bad file is reported and the others still load.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from tqdm import tqdm

from webstats.core.errors import first_line
from webstats.core.settings import Settings

from . import parse_sql
from .formats import LogFormatError, LogShape, sniff
from .legacy_archive import LegacyRows
from .linestream import LineStream, copy_hashed, file_sha256, prefetched
from .rawstore import LOAD_MEMORY, AllRejected, RawStore, open_store

BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 256


@dataclass
class LogFile:
    path: Path
    sha256: str
    size: int
    shape: LogShape
    file_id: int = 0
    #: a grown log: the bytes (and lines) already loaded from an earlier version of it
    skip_bytes: int = 0
    skip_lines: int = 0
    #: read no further than this (re-parsing the loaded version of a log that grew since)
    limit_bytes: int | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class FileResult:
    file_id: int
    file_name: str
    file_path: str
    content_sha256: str
    log_format: str
    loaded_count: int = 0
    rejected_count: int = 0
    first_request_at: object = None
    last_request_at: object = None
    byte_count: int | None = None

    @property
    def line_count(self) -> int:
        return self.loaded_count + self.rejected_count


@dataclass
class LoadSummary:
    files: int = 0
    loaded_files: int = 0
    skipped_files: int = 0
    lines: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    loaded_file_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "loaded_files": self.loaded_files,
            "skipped_files": self.skipped_files,
            "failed_files": len(self.problems),
            "lines": self.lines,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
        }

    def text(self) -> str:
        d = self.as_dict()
        return (
            f"files: {d['files']} (loaded {d['loaded_files']}, already loaded "
            f"{d['skipped_files']}, failed {d['failed_files']}); lines: {d['lines']} "
            f"(loaded {d['loaded']}, rejected {d['rejected']}); {d['seconds']} s"
        )


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files named on the command line, and every file below named directories, in name order."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(
                sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
            )
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p}")
    seen: set[Path] = set()
    unique = []
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(r)
    return unique


def batches(files: list[LogFile]) -> Iterator[list[LogFile]]:
    """Group files of one shape into batches bounded in bytes and count. Line-by-line
    (Apache/Squid/nginx) files are streamed, one file per batch."""
    by_shape: dict[LogShape, list[LogFile]] = {}
    for f in files:
        if f.shape.log_format != "cloudfront":
            yield [f]
            continue
        by_shape.setdefault(f.shape, []).append(f)
    for group in by_shape.values():
        batch: list[LogFile] = []
        size = 0
        for f in group:
            if batch and (size + f.size > BATCH_BYTES or len(batch) >= BATCH_FILES):
                yield batch
                batch, size = [], 0
            batch.append(f)
            size += f.size
        if batch:
            yield batch


class BatchReader:
    """Turns a batch of files into rows in a DuckDB connection (temp tables)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workdir: Path):
        self.con = con
        self.workdir = workdir
        self.counter = 0
        self.scratch: duckdb.DuckDBPyConnection | None = None

    def _readable_path(self, f: LogFile) -> str:
        """A private copy of the file for DuckDB to parse (bz2 decompressed; DuckDB reads
        gzip itself), made in the one read that also hashes it: the file's hash and size
        become those of the bytes copied, so what is recorded is what was parsed."""
        copy = self.workdir / f"{f.file_id}.copy"
        f.sha256, f.size = copy_hashed(f.path, copy, f.shape.compression)
        return str(copy)

    def read(self, batch: list[LogFile]) -> tuple[str, str]:
        """Register the batch and return (rows SELECT, rejects SELECT) over it."""
        self.counter += 1
        tag = f"rej{self.counter}"
        for old in self.workdir.glob("*.copy"):  # the previous batch's copies (stored)
            old.unlink()
        paths = [self._readable_path(f) for f in batch]
        self.con.execute("create or replace temp table batch_files (path varchar, file_id integer)")
        self.con.executemany(
            "insert into batch_files values (?, ?)",
            [(p, f.file_id) for p, f in zip(paths, batch, strict=True)],
        )
        shape = batch[0].shape
        if shape.log_format == "cloudfront":
            plain_shape = LogShape(
                "gzip" if shape.compression == "gzip" else None,
                shape.log_format,
                shape.fields,
                shape.header_lines,
            )
            return (
                parse_sql.cloudfront_select(plain_shape, paths, tag),
                parse_sql.cloudfront_rejects(tag),
            )
        raise ValueError(f"{shape.log_format} files are read by stream(), not in batches")

    def stream(self, f: LogFile, only: list[int] | None = None) -> Iterator[tuple[str, str]]:
        """The (rows SELECT, rejects SELECT) of each chunk of a line-by-line file; sets the
        file's hash when exhausted.

        Chunks are parsed in a scratch in-memory DuckDB (autocommit, so each chunk's tables
        are freed at once) into Parquet files the store reads: temp tables replaced inside
        the store's long transaction were all kept until its commit (memory grew with the
        file).
        """
        scratch = self._scratch()
        scratch.execute("create or replace temp table wanted (line_number integer)")
        if only is not None:  # re-parsing: just these (once rejected) lines, no new rejects
            scratch.execute("insert into wanted select unnest(?)", [only])
        self.fixed: list[int] = []
        lines = _line_source(f)
        text_file = self.workdir / f"{f.file_id}.chunk"
        rows_file = self.workdir / f"{f.file_id}.rows.parquet"
        rejects_file = self.workdir / f"{f.file_id}.rejects.parquet"
        for chunk in prefetched(lines.chunks()):
            # a file hands DuckDB the text faster than a 32 MB query parameter (3x)
            text_file.write_bytes(chunk.data)
            self._parse_chunk(scratch, f.file_id, chunk, text_file, rows_file, rejects_file)
            if only is not None:
                self.fixed += [r[0] for r in scratch.execute("select * from fixed").fetchall()]
            yield (
                f"select * from read_parquet({parse_sql.sql_literal(str(rows_file))})",
                f"select * from read_parquet({parse_sql.sql_literal(str(rejects_file))})",
            )
        for p in (text_file, rows_file, rejects_file):
            p.unlink(missing_ok=True)
        f.sha256, f.size = lines.sha256, lines.size

    def _scratch(self) -> duckdb.DuckDBPyConnection:
        if self.scratch is None:
            self.scratch = duckdb.connect(config={"memory_limit": LOAD_MEMORY})
        return self.scratch

    @staticmethod
    def _parse_chunk(con, file_id: int, chunk, text_file: Path, rows: Path, rejects: Path) -> None:
        """Parse one chunk into a rows and a rejects Parquet file."""
        # the text read and split into numbered lines in one statement (a table of the
        # whole text first cost 40 % more)
        text = "(select ? as file_id, ? as first_number, content as text from read_text(?))"
        con.execute(
            "create or replace temp table chunk_lines as " + parse_sql.chunk_lines(text),
            [file_id, chunk.first_number, str(text_file)],
        )
        con.execute(
            "create or replace temp table chunk_parsed as " + parse_sql.apache_chunk("chunk_lines")
        )
        con.execute(
            "create or replace temp table chunk_rejects "
            "(file_id integer, line_number integer, reason varchar, line varchar)"
        )
        if chunk.rejects:
            con.executemany(
                "insert into chunk_rejects values (?, ?, ?, ?)",
                [(file_id, *r) for r in chunk.rejects],
            )
        cols = ", ".join(parse_sql.RAW_COLUMNS)
        # `wanted` empty: a load (every line); else a re-parse (those lines, no rejects)
        con.execute(
            "create or replace temp table fixed as select line_number from chunk_parsed "
            "where reject_reason is null and line_number in (select * from wanted)"
        )
        keep = "(not exists (from wanted) or line_number in (select * from fixed))"
        con.execute(
            f"copy (select {cols} from chunk_parsed where reject_reason is null and {keep}) "
            f"to {parse_sql.sql_literal(str(rows))} (format parquet)"
        )
        con.execute(
            "copy (select file_id, line_number, reject_reason as reason, line "
            "from chunk_parsed where reject_reason is not null and not exists (from wanted) "
            "union all select * from chunk_rejects where not exists (from wanted)) "
            f"to {parse_sql.sql_literal(str(rejects))} (format parquet)"
        )
        con.execute("drop table chunk_lines; drop table chunk_parsed")

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()


def _line_source(f: LogFile) -> LineStream | LegacyRows:
    """What reads a line-by-line source: a log's lines, or a legacy database's rows
    rewritten as lines (legacy_archive.py)."""
    if f.shape.log_format == "legacy-sqlite":
        return LegacyRows(f.path)
    return LineStream(
        f.path, f.shape.compression, skip=(f.skip_bytes, f.skip_lines), limit=f.limit_bytes
    )


def prepare(paths: list[Path], store: RawStore, summary: LoadSummary) -> list[LogFile]:
    """Hash and sniff each file; drop the ones already loaded; report conflicts and bad files."""
    todo: list[LogFile] = []
    seen_hashes: set[str] = set()
    for path in paths:
        summary.files += 1
        try:
            digest = file_sha256(path)
        except OSError as exc:  # unreadable or vanished: reported; the others still load
            summary.problems.append(f"{path}: cannot read: {exc.strerror or exc}; not loaded")
            continue
        known = store.ledger_lookup(path.name, digest)
        if known == "loaded" or digest in seen_hashes:
            summary.skipped_files += 1
            continue
        try:
            shape = sniff(path)
            grown = _grown(path, shape, store) if known == "conflict" else (0, 0)
        except (LogFormatError, OSError) as exc:
            summary.problems.append(f"{path}: {exc}; not loaded")
            continue
        if grown is None:
            summary.problems.append(
                f"{path}: a different file named {path.name} is already loaded; not loaded"
            )
            continue
        seen_hashes.add(digest)
        todo.append(LogFile(path, digest, path.stat().st_size, shape, 0, *grown))
    return todo


def _grown(path: Path, shape: LogShape, store: RawStore) -> tuple[int, int] | None:
    """(bytes, lines) already loaded when `path` is a loaded plain Apache log that has grown
    (an earlier version is its prefix, ending at a line end); None when it is another file.
    Its new lines then load as a new version; the earlier ones are never loaded twice."""
    if shape.log_format != "apache" or shape.compression:
        return None
    size = path.stat().st_size
    for sha, n in store.versions(path.name):
        if n >= size:
            continue
        h, lines, last = hashlib.sha256(), 0, b""
        with open(path, "rb") as fh:
            left = n
            while left and (block := fh.read(min(left, 1 << 20))):
                h.update(block)
                lines += block.count(b"\n")
                left -= len(block)
                last = block[-1:]
        if h.hexdigest() == sha and last == b"\n":
            return n, lines
    return None


def load_paths(
    settings: Settings, paths: Iterable[Path], progress: bool | None = None
) -> LoadSummary:
    """Load every not-yet-loaded log file below `paths` into the target's raw tables."""
    started = time.monotonic()
    summary = LoadSummary()
    files = discover(paths)
    show = sys.stderr.isatty() if progress is None else progress
    with open_store(settings) as store, tempfile.TemporaryDirectory() as tmp:
        todo = prepare(files, store, summary)
        next_id = store.next_file_id()
        reader = BatchReader(store.parser(), Path(tmp))
        bar = _progress(sum(f.size for f in todo), show)
        for batch in batches(todo):
            for f in batch:  # contiguous ids per batch: the store counts rows by id range
                f.file_id, next_id = next_id, next_id + 1
            for result in _load_batch(store, reader, batch, summary):
                summary.loaded_files += 1
                summary.loaded += result.loaded_count
                summary.rejected += result.rejected_count
                summary.loaded_file_ids.append(result.file_id)
            bar.update(sum(f.size for f in batch))
        bar.close()
        reader.close()
    summary.lines = summary.loaded + summary.rejected
    summary.seconds = time.monotonic() - started
    return summary


def _load_batch(
    store: RawStore, reader: BatchReader, batch: list[LogFile], summary: LoadSummary
) -> list[FileResult]:
    """Store a batch in one transaction; on failure retry its files one at a time."""
    try:
        return _store(store, reader, batch)
    except (duckdb.Error, LogFormatError, AllRejected, OSError) as exc:
        if len(batch) == 1:
            f = batch[0]
            summary.problems.append(f"{f.path}: {first_line(exc)}; nothing from it was loaded")
            return []
    results: list[FileResult] = []
    for f in batch:
        results.extend(_load_batch(store, reader, [f], summary))
    return results


def _store(store: RawStore, reader: BatchReader, batch: list[LogFile]) -> list[FileResult]:
    cloudfront = batch[0].shape.log_format == "cloudfront"
    # CloudFront: copied (and hashed) first, so the results carry the hash of the copy
    rows_sql, rejects_sql = reader.read(batch) if cloudfront else ("", "")
    results = {
        f.file_id: FileResult(
            f.file_id, f.name, str(f.path), f.sha256, f.shape.log_format, byte_count=f.size
        )
        for f in batch
    }
    if cloudfront:
        store.store_batch(rows_sql, rejects_sql, results)
    else:
        (f,) = batch
        store.store_parts(results, _hashed(reader.stream(f), f, results[f.file_id]))
    return list(results.values())


def _hashed(parts: Iterator[tuple[str, str]], f: LogFile, result: FileResult):
    """Pass the parts on; then record the hash of the bytes actually parsed (a file that
    grew since it was first hashed is recorded as the version that was read)."""
    yield from parts
    result.content_sha256, result.byte_count = f.sha256, f.size


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool):
    if not show or total == 0:
        return _NoBar()
    return tqdm(total=total, unit="B", unit_scale=True, desc="loading", file=sys.stderr)


def reparse_rejects(settings: Settings) -> LoadSummary:
    """Re-read the Apache/Squid/nginx files (and legacy databases) that had rejected lines
    and load the lines the current parser accepts, once: they go in under a new ledger row
    (a new file_id, so the incremental build takes them), leave `load_rejects`, and the old
    row's counts drop by them. A file that is gone or changed is reported; its rejects stay."""
    started = time.monotonic()
    summary = LoadSummary()
    with open_store(settings) as store, tempfile.TemporaryDirectory() as tmp:
        reader = BatchReader(store.parser(), Path(tmp))
        for file_id, _name, path, sha, size in store.reparse_candidates():
            summary.files += 1
            try:
                fixed = _reparse_file(store, reader, file_id, Path(path), sha, size)
            except (duckdb.Error, LogFormatError, OSError, ValueError) as exc:
                summary.problems.append(f"{path}: {first_line(exc)}; its rejects stay")
                continue
            summary.loaded_files += bool(fixed)
            summary.loaded += fixed
        reader.close()
    summary.lines = summary.loaded
    summary.seconds = time.monotonic() - started
    return summary


def _reparse_file(
    store: RawStore, reader: BatchReader, file_id: int, path: Path, sha: str, size: int | None
) -> int:
    """Load the now-accepted rejected lines of one loaded file; how many."""
    shape = sniff(path)
    size = size or path.stat().st_size  # ledgers from before byte_count: the whole file
    if shape.log_format == "cloudfront" or file_sha256_prefix(path, size) != sha:
        raise ValueError("not the loaded content any more (changed, or CloudFront)")
    f = LogFile(path, sha, size, shape, store.next_file_id(), limit_bytes=size)
    result = FileResult(
        f.file_id, path.name, str(path), f"{sha}+reparse{f.file_id}", shape.log_format
    )
    only = store.rejected_lines(file_id)
    store.store_parts(
        {f.file_id: result},
        reader.stream(f, only),
        after=lambda: store.forget_rejects(file_id, reader.fixed),
        keep_empty=False,
    )
    return result.loaded_count


def file_sha256_prefix(path: Path, size: int) -> str:
    """The hash of the first `size` bytes (a log may have grown since it was loaded)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        left = size
        while left and (block := fh.read(min(left, 1 << 20))):
            h.update(block)
            left -= len(block)
    return h.hexdigest()
