"""Renderer fixtures: hand-made marts, and a real Waitress server on loopback."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from webstats.config import Settings

# pytest puts tests/ on sys.path (rootdir conftest, no __init__.py files), where this very
# directory would be found as a namespace package called `renderer`, shadowing the real one
# (installed in editable mode, which is looked up after sys.path). Put the project first.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path[:1]:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("renderer"), "__file__", "x") is None:
    del sys.modules["renderer"]

from render_marts import Marts, write_marts  # noqa: E402 (needs the path fix above)

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def handmade() -> Marts:
    """Small data whose every page is worked out by hand in test_golden_handmade.py.

    bioc: ABC / abc (same letters, different case), alpha.pkg (dot), Beta2 (digit);
    annotation and experiment: no package at all; workflows: one package in 2015 only.
    """
    d = dt.date
    m = Marts(as_of=d(2024, 3, 5), built_at=dt.datetime(2024, 3, 5, 4, 30, 15))
    m.stats = [
        ("bioc", "alpha.pkg", d(2023, 3, 1), True, 3, 4),
        ("bioc", "alpha.pkg", d(2023, 11, 1), True, 2, 2),
        ("bioc", "alpha.pkg", d(2023, 12, 31), False, 4, 6),
        ("bioc", "alpha.pkg", d(2024, 1, 1), True, 1, 10),
        ("bioc", "alpha.pkg", d(2024, 12, 31), False, 1, 10),
        ("bioc", "Beta2", d(2022, 6, 1), True, 5, 5),
        ("bioc", "Beta2", d(2022, 12, 31), False, 5, 5),
        ("bioc", "ABC", d(2024, 2, 1), True, 2, 3),
        ("bioc", "ABC", d(2024, 12, 31), False, 2, 3),
        ("bioc", "abc", d(2021, 12, 1), True, 1, 1),
        ("bioc", "abc", d(2021, 12, 31), False, 1, 1),
        ("workflows", "wf1", d(2015, 1, 1), True, 1, 2),
        ("workflows", "wf1", d(2015, 12, 31), False, 1, 2),
    ]
    m.categorystats = [
        ("bioc", d(2021, 12, 1), True, 1, 1),
        ("bioc", d(2021, 12, 31), False, 1, 1),
        ("bioc", d(2022, 6, 1), True, 5, 5),
        ("bioc", d(2022, 12, 31), False, 5, 5),
        ("bioc", d(2023, 3, 1), True, 3, 4),
        ("bioc", d(2023, 11, 1), True, 2, 2),
        ("bioc", d(2023, 12, 31), False, 4, 6),
        ("bioc", d(2024, 1, 1), True, 1, 10),
        ("bioc", d(2024, 2, 1), True, 2, 3),
        ("bioc", d(2024, 12, 31), False, 3, 13),
        ("workflows", d(2015, 1, 1), True, 1, 2),
        ("workflows", d(2015, 12, 31), False, 1, 2),
    ]
    m.package_scores = [
        ("bioc", "alpha.pkg", 7, 1, True, True),
        ("bioc", "ABC", 5, 2, True, False),
        ("bioc", "Beta2", 5, 3, False, True),
        ("bioc", "abc", 0, 4, False, False),
        ("workflows", "wf1", 0, 1, False, False),
    ]
    return m


@pytest.fixture
def handmade_settings(target_settings: Settings) -> Settings:
    """The hand-made marts in a fresh DuckDB file / Postgres schema."""
    write_marts(target_settings, handmade())
    return target_settings


@dataclass
class LiveServer:
    base: str
    settings: Settings

    def url(self, path: str) -> str:
        return self.base + path


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without raising on 4xx/5xx and without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def start_server(settings: Settings) -> Iterator[LiveServer]:
    """Waitress on 127.0.0.1, any free port, in a background thread."""
    from renderer.serve import make_server

    server = make_server(settings, host="127.0.0.1", port=0, threads=4)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # the listening socket closed under select() at teardown
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", settings)
    finally:
        closing.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(handmade_settings: Settings) -> Iterator[LiveServer]:
    yield from start_server(handmade_settings)
