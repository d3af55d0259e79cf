"""Large files of one build written once to a private temporary directory and served from it.

The all-packages tables (`<pre>_pkg_stats.tab`, several MB) would otherwise be held as one
bytes object per category, built from hundreds of thousands of Python objects at once, and
copied per connection. Here they are written a batch of packages at a time to
`$TMPDIR/webstats-<pid>/<build>-XXXX/<name>`, and every request streams the file through
`wsgi.file_wrapper`. The directory goes when a newer build replaces the snapshot
(`Snapshot.retire`), when its `Site` is collected, or at exit; a response already streaming
keeps its open file, which POSIX keeps readable after the unlink.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], None]

_root_lock = threading.Lock()
_roots: set[str] = set()


def _process_root() -> Path:
    """`$TMPDIR/webstats-<pid>`, removed at exit by the process that made it."""
    pid = os.getpid()
    root = Path(tempfile.gettempdir()) / f"webstats-{pid}"
    with _root_lock:
        if str(root) not in _roots:
            _sweep(root.parent)
            root.mkdir(mode=0o700, exist_ok=True)
            _roots.add(str(root))
            atexit.register(_remove_root, str(root), pid)
    return root


def _sweep(tmp: Path) -> None:
    """Remove the spools of our processes that are gone without cleaning up (killed)."""
    for old in tmp.glob("webstats-*"):
        pid = old.name[len("webstats-"):]
        if not pid.isdigit() or int(pid) == os.getpid() or old.stat().st_uid != os.getuid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # alive (or not ours to ask about)


def _remove_root(root: str, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child
        shutil.rmtree(root, ignore_errors=True)


class Spool:
    """Named files of one build, each written once (even under concurrent first requests)."""

    def __init__(self, label: str):
        self.label = re.sub(r"[^0-9A-Za-z.-]+", "_", label)[:64]
        self._dir: Path | None = None
        self._closed = False
        self._lock = threading.Lock()  # guards _dir, _closed, _sizes, opening and removal
        self._name_locks: dict[str, threading.Lock] = {}
        self._sizes: dict[str, int] = {}
        self._finalizer: weakref.finalize | None = None

    def size(self, name: str) -> int | None:
        """The size of `name` once it has been written, else None (nothing is written)."""
        return self._sizes.get(name)

    def open(self, name: str, write: Writer) -> tuple[BinaryIO, int]:
        """`name` opened for reading, and its size; `write(file)` makes it on first use.

        One writer per name: concurrent first requests wait for it instead of writing the
        file again. The file is written under a temporary name and renamed into place.
        """
        opened = self._open_written(name)
        if opened is not None:
            return opened
        with self._lock:
            lock = self._name_locks.setdefault(name, threading.Lock())
        with lock:
            opened = self._open_written(name)
            if opened is not None:
                return opened
            f, tmp = self._create(name)
            try:
                write(f)
                f.flush()
                size = f.tell()
                f.seek(0)
                with self._lock:
                    if tmp is not None and not self._closed:
                        assert self._dir is not None
                        os.replace(tmp, self._dir / _filename(name))
                        self._sizes[name] = size
                    elif tmp is not None:
                        tmp.unlink(missing_ok=True)  # retired meanwhile: serve this copy only
            except BaseException:
                f.close()
                if tmp is not None:
                    tmp.unlink(missing_ok=True)
                raise
            return f, size

    def close(self) -> None:
        """Remove the directory; later `open`s write to anonymous temporary files."""
        with self._lock:
            self._closed = True
            self._sizes.clear()
            if self._finalizer is not None:
                self._finalizer()

    def _open_written(self, name: str) -> tuple[BinaryIO, int] | None:
        with self._lock:
            size = self._sizes.get(name)
            if size is None:
                return None
            assert self._dir is not None
            return open(self._dir / _filename(name), "rb"), size  # noqa: SIM115 (returned)

    def _create(self, name: str) -> tuple[BinaryIO, Path | None]:
        """A new file to write `name` into: (file opened w+b, its temporary path or None)."""
        with self._lock:
            if self._closed:
                return tempfile.TemporaryFile(), None  # noqa: SIM115 (returned)
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix=f"{self.label}-", dir=_process_root()))
                self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
            tmp = self._dir / f".{_filename(name)}.{threading.get_ident()}.tmp"
            return open(tmp, "w+b"), tmp  # noqa: SIM115 (returned)


def _filename(name: str) -> str:
    return name.replace("/", "__")
