"""Reading a log file once, in bounded memory: numbered lines in chunks, and the hash of
exactly the bytes that were read.

Why Python reads the lines (and DuckDB only parses them): a line-oriented file of any size
must load in bounded memory with exact line numbers, a BOM at the start must not stick to
the first field, and one undecodable byte must cost one line's decoding, not the file.
DuckDB's `read_text` holds a whole file and numbering its lines was quadratic; its CSV
reader numbers nothing it accepts. Splitting bytes at newlines is cheap in Python; the
regular expressions run in DuckDB over a chunk at a time.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import queue
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from .formats import LogFormatError

T = TypeVar("T")

#: bytes of (decompressed) text handed to DuckDB at a time: about 180,000 typical lines,
#: more than one DuckDB row group (122,880 rows), so that the parsing runs in parallel
CHUNK_BYTES = 32 * 1024 * 1024
#: a line longer than this is rejected (its head is kept as the reject's line); the rest of
#: it is read past, never held, so one endless line cannot exhaust memory
MAX_LINE_BYTES = 1024 * 1024
KEPT_BYTES = 4096
BOM = b"\xef\xbb\xbf"


@dataclass
class Chunk:
    """Consecutive whole lines of one file, joined by newlines, as UTF-8 bytes (LF line
    ends, no NUL); the first is line `first_number` (1-based); DuckDB splits and numbers
    them."""

    first_number: int
    data: bytes
    line_count: int
    #: lines rejected before parsing (too long): (line number, reason, head of the line)
    rejects: list[tuple[int, str, str]]


FFFD = "\ufffd".encode()


def clean_lines(data: bytes) -> bytes:
    """The lines as valid UTF-8 for DuckDB: UTF-8 as a rule; a line that is not valid UTF-8
    is read as ISO-8859-1 (as the legacy generator did), so one stray byte never fails a
    file. Why bytes in, bytes out: a valid chunk (the rule) is only checked, never decoded
    into a str and encoded again (that cost a third of Python's time per line)."""
    if not data.isascii():  # ASCII is valid UTF-8 (and checked 10x faster than decoded)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = "\n".join(decode_line(raw) for raw in data.split(b"\n")).encode("utf-8")
    if b"\r" in data:  # CRLF line ends are line ends (trimming in SQL cost 2 us a line)
        data = data.replace(b"\r\n", b"\n")
        if data.endswith(b"\r"):
            data = data[:-1]
    # PostgreSQL text cannot hold NUL; a NUL byte in a log line is damage, not content
    return data.replace(b"\x00", FFFD) if b"\x00" in data else data


def decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")


class HashingReader:
    """A binary file whose bytes are hashed as they are read (the ledger hash is then the
    hash of exactly the content parsed, even if the file grows meanwhile)."""

    def __init__(self, fh: BinaryIO, limit: int | None = None):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def read(self, n: int = -1) -> bytes:
        if self.limit is not None:
            n = self.limit - self.size if n < 0 else min(n, self.limit - self.size)
        data = self.fh.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def readinto(self, buf) -> int:  # used by bz2/gzip for buffered reads
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Hash what a decompressor left unread (trailing bytes after the last member)."""
        while self.read(1 << 20):
            pass

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self.fh.closed


class LineStream:
    """One pass over a file (plain, gzip or bz2): chunks of numbered lines, then its hash."""

    def __init__(
        self,
        path: Path,
        compression: str | None,
        chunk_bytes: int = CHUNK_BYTES,
        skip: tuple[int, int] = (0, 0),
        limit: int | None = None,
    ):
        self.limit = limit
        self.path = path
        self.compression = compression
        self.chunk_bytes = chunk_bytes
        #: (bytes, lines) at the start already loaded (a grown log): hashed, not yielded
        self.skip_bytes, self.skip_lines = skip
        self.sha256 = ""
        self.size = 0

    def chunks(self) -> Iterator[Chunk]:
        """The file's lines in chunks; `sha256` and `size` are set once it is exhausted."""
        with open(self.path, "rb") as raw:
            hashed = HashingReader(raw, self.limit)
            try:
                yield from self._split(self._blocks(hashed))
                hashed.drain()
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise LogFormatError(f"cannot decompress ({self.compression}): {exc}") from exc
            except OSError as exc:
                if self.compression and "compressed" in str(exc).lower():
                    raise LogFormatError(f"cannot decompress ({self.compression}): {exc}") from exc
                raise
        self.sha256 = hashed.sha.hexdigest()
        self.size = hashed.size

    def _blocks(self, hashed: HashingReader) -> Iterator[bytes]:
        if self.compression == "gzip":
            src: BinaryIO = gzip.GzipFile(fileobj=hashed, mode="rb")  # type: ignore[arg-type]
        elif self.compression == "bz2":
            src = bz2.BZ2File(hashed, mode="rb")  # type: ignore[arg-type]
        else:
            src = hashed  # type: ignore[assignment]
        left = self.skip_bytes
        while left and (block := src.read(min(left, self.chunk_bytes))):
            left -= len(block)
        first = not self.skip_bytes
        while block := src.read(self.chunk_bytes):
            if first and block.startswith(BOM):
                block = block[len(BOM) :]
            first = False
            yield block

    def _split(self, blocks: Iterator[bytes]) -> Iterator[Chunk]:
        """Whole lines per chunk; a line split across blocks is carried to the next."""
        carry = b""
        next_number = self.skip_lines + 1
        skipping = False  # inside a line already rejected as too long
        for block in blocks:
            data = carry + block
            cut = data.rfind(b"\n")
            if cut < 0:
                carry, chunk, skipping = self._long_line(data, next_number, skipping)
                if chunk:
                    yield chunk
                continue
            carry = data[cut + 1 :]
            body = data[:cut]
            if skipping:  # the rest of a too-long line ends at the first newline
                nl = body.find(b"\n")
                body = b"" if nl < 0 else body[nl + 1 :]
                next_number += 1
                skipping = False
                if nl < 0:
                    continue
            chunk = self._chunk(body, next_number)
            next_number += chunk.line_count
            yield chunk
            if len(carry) > MAX_LINE_BYTES:
                carry, extra, skipping = self._long_line(carry, next_number, False)
                if extra:
                    yield extra
        if carry and not skipping:
            yield self._chunk(carry, next_number)

    def _long_line(
        self, data: bytes, number: int, skipping: bool
    ) -> tuple[bytes, Chunk | None, bool]:
        """A partial line: carried while short; rejected once (and then skipped) when long."""
        if skipping:
            return b"", None, True
        if len(data) <= MAX_LINE_BYTES:
            return data, None, False
        head = decode_line(data[:KEPT_BYTES])
        reason = f"line longer than {MAX_LINE_BYTES} bytes"
        return b"", Chunk(number, b"", 0, [(number, reason, head)]), True

    @staticmethod
    def _chunk(body: bytes, first_number: int) -> Chunk:
        """Lines longer than MAX_LINE_BYTES inside a block are rejected in SQL."""
        return Chunk(first_number, clean_lines(body), body.count(b"\n") + 1, [])


def copy_hashed(src: Path, dest: Path, compression: str | None) -> tuple[str, int]:
    """Copy `src` to `dest` (bz2 decompressed, gzip as is) in one read, returning the hash
    and size of the bytes read: the copy is what gets parsed, so the recorded hash is the
    hash of exactly the content parsed, even if `src` changes meanwhile."""
    with open(src, "rb") as raw, open(dest, "wb") as out:
        hashed = HashingReader(raw)
        try:
            if compression == "bz2":
                with bz2.BZ2File(hashed, mode="rb") as plain:  # type: ignore[arg-type]
                    while block := plain.read(1 << 20):
                        out.write(block)
                hashed.drain()
            else:
                while block := hashed.read(1 << 20):
                    out.write(block)
        except (EOFError, OSError) as exc:
            if isinstance(exc, OSError) and compression != "bz2":
                raise
            raise LogFormatError(f"cannot decompress ({compression}): {exc}") from exc
    return hashed.sha.hexdigest(), hashed.size


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


_DONE = object()


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """`items`, each produced in a thread while the caller works on the previous one.

    Why: reading, hashing and checking the next chunk (Python; file reads and hashing
    release the GIL) then overlaps DuckDB parsing the current one (which releases it too).
    At most one item waits; an exception of `items` is raised to the caller; a caller that
    stops early stops the thread (and closes `items`)."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, raised there)
            put(_Failed(exc))
        finally:
            items.close()  # type: ignore[attr-defined]

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a whole file, read in 1 MiB blocks: the ledger's identity of a source
    read whole (a legacy archive, or a log file before re-parsing its rejects)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()
