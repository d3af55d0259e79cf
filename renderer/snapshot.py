"""Read-only access to the marts, one snapshot per finished build.

The data only changes when a build finishes, so everything the web app derives from it is
cached per build: a `Snapshot` carries the build's `built_at`, and callers key their caches on
it. On DuckDB each build publishes the served tables as a new file that replaces the one the
site reads (webstats/core/site_file.py); we notice by the file's identity (inode + mtime) and
reopen, so no restart is needed and the warehouse itself stays free for its writers. On a
server (PostgreSQL) the build stamp is re-read at most once per `STAMP_TTL` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from webstats.core import warehouse
from webstats.core.settings import Settings

STAMP_TTL = 1.0

log = logging.getLogger(__name__)


class WarehouseUnavailable(RuntimeError):
    """The marts cannot be read (no build yet, or the database is down)."""


@dataclass
class Snapshot:
    """The marts as of one build; `cache` lives exactly as long as the build is current."""

    engine: sa.Engine
    built_at: dt.datetime
    as_of_date: dt.date
    valid_thru: dt.date
    bioc_release: str
    bioc_devel: str
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retire_hooks: list[Callable[[], None]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.built_at.isoformat()

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[sa.Row]:
        """Run a read query with bound parameters; SQL text never comes from a request."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), dict(params or {})).fetchall()

    def cached(self, key: Any, compute):
        """Memoise `compute()` for the lifetime of this build."""
        try:
            return self.cache[key]
        except KeyError:
            pass
        value = compute()
        with self.lock:
            self.cache.setdefault(key, value)
        return self.cache[key]

    def on_retire(self, hook: Callable[[], None]) -> None:
        """Run `hook` once when a newer build replaces this one (e.g. remove its files)."""
        with self.lock:
            self.retire_hooks.append(hook)

    def retire(self) -> None:
        """Release what this build holds outside the process's memory (see `on_retire`)."""
        with self.lock:
            hooks, self.retire_hooks = self.retire_hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("retiring the build of %s", self.key)


class Snapshots:
    """Hands out the current Snapshot of a warehouse; thread-safe, cheap per request."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._identity: Any = None
        self._checked = 0.0
        # the served file's path, worked out once: it is stat'ed on every request
        served = warehouse.served_path(settings)
        self._served = None if served is None else str(served)

    def _engine(self) -> sa.Engine:
        if not warehouse.serves(self.settings):
            raise WarehouseUnavailable(
                f"nothing published for the site at {warehouse.served_path(self.settings)} "
                "(a build publishes it)"
            )
        return warehouse.sqlalchemy_engine(self.settings, read_only=True, pool_size=8)

    def _current_identity(self) -> Any:
        if self._served is None:
            return None
        try:
            return warehouse.path_identity(self._served)
        except FileNotFoundError as exc:
            raise WarehouseUnavailable("the warehouse file is missing") from exc

    def _load(self, engine: sa.Engine) -> Snapshot:
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    sa.text(
                        "select built_at, as_of_date, valid_thru, bioc_release, bioc_devel "
                        "from webstats_info"
                    )
                ).one()
        except Exception as exc:  # no build yet, database down, ...
            raise WarehouseUnavailable(str(exc)) from exc
        built_at, as_of, valid_thru, release, devel = row
        return Snapshot(engine, built_at, as_of, valid_thru, str(release), str(devel))

    def snapshot(self) -> Snapshot:
        """The snapshot of the build currently in the warehouse."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None:  # the common case, without the lock: nothing changed
            if self._served is None:
                if now - self._checked < STAMP_TTL:
                    return snap
            elif self._current_identity() == self._identity:
                return snap
        with self._lock:
            identity = self._current_identity()
            snap = self._snapshot
            if identity is not None:
                fresh = self._reopened(snap, identity)
            else:
                fresh = self._reread(snap, now)
            if fresh is snap:
                return snap
            self._snapshot, self._identity, self._checked = fresh, identity, now
        if snap is not None:
            snap.retire()
        return fresh

    def _reopened(self, snap: Snapshot | None, identity: Any) -> Snapshot | None:
        """A file-backed warehouse: a new snapshot when the file was replaced, else `snap`."""
        if snap is not None and identity == self._identity:
            return snap
        # DuckDB shares one database instance per path within a process: close the old
        # file's connections first, or the new engine would get the old instance.
        if snap is not None:
            snap.engine.dispose()
        engine = self._engine()
        fresh = self._load(engine)
        if snap is not None and fresh.built_at == snap.built_at:
            # A request still holds the old instance open; retry on a later request.
            engine.dispose()
            return snap
        return fresh

    def _reread(self, snap: Snapshot | None, now: float) -> Snapshot:
        """A warehouse on a server: a new snapshot when the build stamp changed, else `snap`."""
        engine = snap.engine if snap is not None else self._engine()
        fresh = self._load(engine)
        if snap is not None and fresh.built_at == snap.built_at:
            self._checked = now
            return snap
        return fresh
