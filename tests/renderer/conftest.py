"""Renderer fixtures: mart tables written by hand, and a real Waitress server on loopback.

The renderer only reads `categories`, `stats`, `categorystats`, `package_scores` and
`webstats_info` (docs/warehouse.md); `marts` writes exactly those into a warehouse, so the
renderer is tested on hand-made data, independently of the pipeline.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from renderer.serve import make_server
from webstats.core import warehouse as wh
from webstats.core.seeds import categories_path, manifest_rows
from webstats.core.settings import PROJECT_DIR, Settings

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: browser screenshots and other artefacts worth looking at (gitignored)
OUTPUT = PROJECT_DIR / "test-output"

DDL = {
    "categories": "category text, log_path text, web_subdir text, label text, "
    "file_prefix text, top_n integer, first_year integer, index_page text, sort_order integer",
    "stats": "category text, package text, date date, is_monthly boolean, ip_count bigint, "
    "download_count bigint",
    "categorystats": "category text, date date, is_monthly boolean, ip_count bigint, "
    "download_count bigint",
    "package_scores": "category text, package text, score bigint, rank bigint, "
    "in_release boolean, in_devel boolean",
    "webstats_info": "valid_thru date, as_of_date date, built_at timestamp, bioc_release text, "
    "bioc_devel text",
}


@dataclass
class Marts:
    """Rows per table, as tuples in DDL column order."""

    as_of: dt.date
    built_at: dt.datetime
    bioc_release: str = "3.18"
    bioc_devel: str = "3.19"
    stats: list[tuple] = field(default_factory=list)
    categorystats: list[tuple] = field(default_factory=list)
    package_scores: list[tuple] = field(default_factory=list)
    categories: list[tuple] | None = None


def _seed_categories() -> list[tuple]:
    with open(categories_path(), newline="") as fh:
        return [
            (
                r["category"], r["log_path"], r["web_subdir"], r["label"], r["file_prefix"],
                int(r["top_n"]) if r["top_n"] else None, int(r["first_year"]),
                r["index_page"], int(r["sort_order"]),
            )
            for r in csv.DictReader(fh)
        ]  # fmt: skip


def _periods_from_tab(path: Path) -> list[tuple[dt.date, bool, int, int]]:
    """Monthly and yearly rows read back from a legacy `*_stats.tab` (zero months dropped)."""
    out = []
    for line in path.read_text().splitlines()[1:]:
        year, month, ips, dls = line.split("\t")
        y, ip, dl = int(year), int(ips), int(dls)
        if month == "all":
            if ip or dl:
                out.append((dt.date(y, 12, 31), False, ip, dl))
        elif ip or dl:
            out.append((dt.date(y, MONTHS.index(month) + 1, 1), True, ip, dl))
    return out


class MartWriter:
    """Writes `Marts` into a warehouse; knows the two data sets the renderer tests use."""

    Marts = Marts

    def engine(self, settings: Settings) -> sa.Engine:
        return wh.sqlalchemy_engine(settings, read_only=False)

    def write(self, settings: Settings, marts: Marts) -> None:
        """(Re)create the five tables and fill them."""
        info = [
            (marts.as_of - dt.timedelta(days=1), marts.as_of, marts.built_at,
             marts.bioc_release, marts.bioc_devel)
        ]  # fmt: skip
        tables = {
            "categories": marts.categories if marts.categories is not None else _seed_categories(),
            "stats": marts.stats,
            "categorystats": marts.categorystats,
            "package_scores": marts.package_scores,
            "webstats_info": info,
        }
        engine = self.engine(settings)
        with engine.begin() as conn:
            for name, rows in tables.items():
                conn.execute(sa.text(f"drop table if exists {name}"))
                conn.execute(sa.text(f"create table {name} ({DDL[name]})"))
                if rows:
                    cols = [c.split()[0] for c in DDL[name].split(", ")]
                    marks = ", ".join(f":{c}" for c in cols)
                    conn.execute(
                        sa.text(f"insert into {name} ({', '.join(cols)}) values ({marks})"),
                        # Reversed: the renderer must not depend on insertion order.
                        [dict(zip(cols, r, strict=True)) for r in reversed(rows)],
                    )
        engine.dispose()

    def handmade(self) -> Marts:
        """Small data whose every page is worked out by hand (legacy/test_golden_handmade.py).

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

    def from_legacy(self, expected: Path, manifest: Path) -> Marts:
        """The marts the legacy examples were generated from, read back from their .tab files
        (release 3.18 decides the release/devel flags)."""
        cats = _seed_categories()
        marts = Marts(as_of=dt.date(2024, 2, 11), built_at=dt.datetime(2024, 2, 11, 0, 0, 0))
        man = {(r["category"], r["package"]): r for r in manifest_rows(manifest)}

        def ver(v: str) -> tuple[int, ...]:
            return tuple(int(x) for x in v.split("."))

        for cat in cats:
            category, sub, pre = cat[0], cat[2], cat[4]
            d = expected / sub
            for p in _periods_from_tab(d / f"{pre}_stats.tab"):
                marts.categorystats.append((category, *p))
            scores = {}
            for line in (d / f"{pre}_pkg_scores.tab").read_text().splitlines()[1:]:
                name, score = line.split("\t")
                scores[name] = int(score)
            ranked = sorted(scores, key=lambda n: (-scores[n], n.lower(), n))
            for rank, name in enumerate(ranked, 1):
                row = man[(category, name)]
                first, last = row["first_version"], row["last_version"]
                in_release = ver(first) <= ver("3.18") and (not last or ver(last) >= ver("3.18"))
                score = (category, name, scores[name], rank, in_release, not last)
                marts.package_scores.append(score)
                for p in _periods_from_tab(d / name / f"{name}_stats.tab"):
                    marts.stats.append((category, name, *p))
        return marts


@pytest.fixture(scope="session")
def marts() -> MartWriter:
    return MartWriter()


@pytest.fixture
def handmade_settings(warehouse, marts) -> Settings:
    """The hand-made marts in a fresh DuckDB file / Postgres schema."""
    marts.write(warehouse.settings, marts.handmade())
    return warehouse.settings


# ------------------------------------------------------------------------------ HTTP


@dataclass
class LiveServer:
    base: str
    settings: Settings

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


def _fetch(url: str, method: str = "GET", headers: dict | None = None):
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


@pytest.fixture(scope="session")
def fetch():
    """`fetch(url, method="GET", headers=None)` -> (status, headers, body), redirects not
    followed, 4xx/5xx returned rather than raised."""
    return _fetch


@contextlib.contextmanager
def _serving(settings: Settings) -> Iterator[LiveServer]:
    """Waitress on 127.0.0.1, any free port, in a background thread."""
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


@pytest.fixture(scope="session")
def serve():
    """`with serve(settings) as server:` a real Waitress server over the settings' warehouse."""
    return _serving


@pytest.fixture
def live_server(handmade_settings: Settings) -> Iterator[LiveServer]:
    with _serving(handmade_settings) as server:
        yield server


@pytest.fixture(scope="session")
def output_dir() -> Path:
    return OUTPUT


# ------------------------------------------------------------------- a real browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    """A Playwright page in Debian's headless Chromium (skipped without it outside CI)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Debian's chromium is required in CI")
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()
