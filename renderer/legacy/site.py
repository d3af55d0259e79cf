"""The legacy site as a map from paths to bytes, for one build.

`Site.resolve(path)` answers from small in-memory tables (the categories, the score tables)
whether a path exists, without rendering it, so that unknown paths are 404s and conditional
requests can be answered before any rendering. `Site.body(target)` renders on first use and
keeps the bytes in a bounded LRU for the life of the build. The HTTP blueprint and the static
export share this one code path, which is why the two give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from renderer.cache import LRU
from renderer.legacy import charts, pages, queries
from renderer.legacy.queries import Category, Score
from renderer.legacy.spool import Spool, Writer
from renderer.snapshot import Snapshot
from webstats.core.settings import Settings

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
PNG = "image/png"
CSS = "text/css; charset=utf-8"
STATIC = Path(__file__).parents[1] / "static"

# Bytes of rendered files kept per build; enough for the hot pages and the big .tab files,
# small enough to keep the server well under its memory budget.
BODY_CACHE_BYTES = 32 * 1024 * 1024
# Packages per query when writing a category's `<pre>_pkg_stats.tab`: as fast as 250, and
# about 15 MB less resident memory after the first write (DuckDB's allocations per query).
PKG_STATS_BATCH = 50
# Per-package year tables kept per build (a package page, its .tab and PNGs share one).
YEARS_CACHE_ENTRIES = 2048

_YEAR_FILE = re.compile(r"([^_/]+)_([0-9]{4})_stats\.(tab|png)")
_ALL_YEARS_FILE = re.compile(r"([^_/]+)_stats\.tab")


@dataclass(frozen=True)
class Target:
    """A file of the site: its canonical path (cache and ETag key) and how to make it."""

    key: str
    mimetype: str
    make: Callable[[], bytes]
    # Large files: how to write them, in pieces, to the build's spool (see Site.open).
    write: Writer | None = None


@dataclass(frozen=True)
class Redirect:
    """A directory asked for without its trailing slash."""

    location: str


class Site:
    """The legacy site of one build."""

    def __init__(self, snap: Snapshot, settings: Settings):
        self.snap = snap
        self.settings = settings
        self.categories = queries.categories(snap)
        self.by_subdir = {c.web_subdir: c for c in self.categories}
        self.by_index = {c.index_page: c for c in self.categories}
        self.bodies = LRU(BODY_CACHE_BYTES, len)
        self.years = LRU(YEARS_CACHE_ENTRIES)
        self.spool = Spool(snap.key)

    # --- data --------------------------------------------------------------------------

    def scores(self, cat: Category) -> dict[str, Score]:
        return queries.scores(self.snap, cat.category)

    def category_years(self, cat: Category) -> dict[int, pages.Year]:
        return self.snap.cached(
            ("category_years", cat.category),
            lambda: pages.years_of(queries.category_periods(self.snap, cat.category)),
        )

    def package_years(self, cat: Category, package: str) -> dict[int, pages.Year]:
        return self.years.get_or_compute(
            (cat.category, package),
            lambda: pages.years_of(queries.package_periods(self.snap, cat.category, package)),
        )

    def category_span(self, cat: Category) -> range:
        return pages.year_span(cat, self.snap.as_of_date, self.category_years(cat))

    # --- resolving ---------------------------------------------------------------------

    def resolve(self, path: str) -> Target | Redirect | None:
        """What `path` (relative to /packages/stats/) is, or None for a 404."""
        if "\x00" in path or len(path) > 1024:
            return None
        parts = path.split("/")
        if len(parts) == 1:
            return self._top(parts[0])
        cat = self.by_subdir.get(parts[0])
        if cat is None:
            return None
        if len(parts) == 2:
            return self._in_category(cat, parts[1])
        if len(parts) == 3:
            return self._in_package(cat, parts[1], parts[2])
        return None

    def _top(self, name: str) -> Target | Redirect | None:
        if name == "main.css":
            return Target("main.css", CSS, lambda: (STATIC / "main.css").read_bytes())
        if name == "":
            name = "index.html"
        cat = self.by_index.get(name)
        if cat is not None:
            return Target(name, HTML, lambda: self._index(cat))
        if name in self.by_subdir:
            return Redirect(f"{name}/")
        return None

    def _in_category(self, cat: Category, name: str) -> Target | Redirect | None:
        sub, pre = cat.web_subdir, cat.file_prefix
        if name in ("", "index.html"):
            return Target(f"{sub}/index.html", HTML, lambda: self._category(cat))
        fixed = {
            f"{pre}_stats.tab": lambda: self._category_tab(cat),
            f"{pre}_packages.txt": lambda: self._packages_txt(cat),
            f"{pre}_pkg_scores.tab": lambda: self._scores_tab(cat),
        }
        if name in fixed:
            return Target(f"{sub}/{name}", TEXT, fixed[name])
        if name == f"{pre}_pkg_stats.tab":
            return self._spooled(f"{sub}/{name}", TEXT, lambda f: self._write_pkg_stats(cat, f))
        m = _YEAR_FILE.fullmatch(name)
        if m and m.group(1) == pre:
            year = int(m.group(2))
            if year not in self.category_span(cat):
                return None
            if m.group(3) == "tab":
                return Target(f"{sub}/{name}", TEXT, lambda: self._category_year_tab(cat, year))
            return Target(f"{sub}/{name}", PNG, lambda: self._category_png(cat, year))
        scores = self.scores(cat)
        if name.endswith(".html") and name[: -len(".html")] in scores:
            pkg = name[: -len(".html")]
            return Target(f"{sub}/{name}", HTML, lambda: self._moved(cat, pkg))
        if name in scores:
            return Redirect(f"{sub}/{name}/")
        return None

    def _in_package(self, cat: Category, pkg: str, name: str) -> Target | None:
        score = self.scores(cat).get(pkg)
        if score is None:
            return None
        base = f"{cat.web_subdir}/{pkg}"
        if name in ("", "index.html"):
            return Target(f"{base}/index.html", HTML, lambda: self._package(cat, score))
        if name == f"{pkg}_stats.tab":
            return Target(f"{base}/{name}", TEXT, lambda: self._package_tab(cat, pkg))
        m = _YEAR_FILE.fullmatch(name)
        if not m or m.group(1) != pkg:
            return None
        year = int(m.group(2))
        if year not in self.package_years(cat, pkg):
            return None
        if m.group(3) == "tab":
            return Target(f"{base}/{name}", TEXT, lambda: self._package_year_tab(cat, pkg, year))
        return Target(f"{base}/{name}", PNG, lambda: self._package_png(cat, pkg, year))

    # --- rendering ---------------------------------------------------------------------

    def body(self, target: Target) -> bytes:
        """The bytes of `target`, rendered once per build while they stay in the LRU."""
        if target.write is not None:
            return target.make()
        return self.bodies.get_or_compute(target.key, target.make)

    def open(self, target: Target) -> tuple[BinaryIO, int]:
        """A spooled target's file, opened for reading, and its size (written on first use)."""
        assert target.write is not None
        return self.spool.open(target.key, target.write)

    def close(self) -> None:
        """Remove the spooled files (also done when the build is retired or at exit)."""
        self.spool.close()

    def _spooled(self, key: str, mimetype: str, write: Writer) -> Target:
        def make() -> bytes:
            f, _ = self.spool.open(key, write)
            with f:
                return f.read()

        return Target(key, mimetype, make, write)

    def _index(self, cat: Category) -> bytes:
        html = pages.index_page(cat, self.categories, self.scores(cat).values(), self.snap.built_at)
        return html.encode()

    def _category(self, cat: Category) -> bytes:
        years = self.category_years(cat)
        return pages.category_page(cat, years, self.snap.as_of_date, self.snap.built_at).encode()

    def _category_all_years(self, cat: Category) -> list[pages.Year]:
        years = self.category_years(cat)
        return [years.get(y) or pages.empty_year(y) for y in self.category_span(cat)]

    def _category_tab(self, cat: Category) -> bytes:
        return pages.years_tab(self._category_all_years(cat)).encode()

    def _category_year_tab(self, cat: Category, year: int) -> bytes:
        y = self.category_years(cat).get(year) or pages.empty_year(year)
        return pages.year_tab(y).encode()

    def _category_png(self, cat: Category, year: int) -> bytes:
        y = self.category_years(cat).get(year) or pages.empty_year(year)
        return charts.year_chart(cat.file_prefix, y)

    def _packages_txt(self, cat: Category) -> bytes:
        return pages.packages_txt(self.scores(cat)).encode()

    def _scores_tab(self, cat: Category) -> bytes:
        return pages.scores_tab(self.scores(cat).values()).encode()

    def _write_pkg_stats(self, cat: Category, out: BinaryIO) -> None:
        """All packages' years, in name order, into `out`: rows are fetched, formatted and
        written a batch of packages at a time, so neither the rows nor the text of the whole
        category are ever in memory."""
        names = sorted(self.scores(cat), key=pages.name_key)
        out.write(pages.PKG_HEADER.encode())
        for i in range(0, len(names), PKG_STATS_BATCH):
            batch = names[i : i + PKG_STATS_BATCH]
            chunks = []
            for name, periods in queries.packages_periods(self.snap, cat.category, batch).items():
                years = pages.years_of(periods)
                ordered = [years[y] for y in sorted(years, reverse=True)]
                chunks.append(pages.package_block(name, ordered))
            out.write("".join(chunks).encode())

    def _moved(self, cat: Category, pkg: str) -> bytes:
        return pages.moved_page(cat, pkg, self.settings.public_base_url).encode()

    def _package(self, cat: Category, score: Score) -> bytes:
        years = self.package_years(cat, score.package)
        page = pages.package_page(cat, score, years, self.snap.as_of_date, self.snap.built_at)
        return page.encode()

    def _package_tab(self, cat: Category, pkg: str) -> bytes:
        years = self.package_years(cat, pkg)
        return pages.years_tab([years[y] for y in sorted(years, reverse=True)]).encode()

    def _package_year_tab(self, cat: Category, pkg: str, year: int) -> bytes:
        return pages.year_tab(self.package_years(cat, pkg)[year]).encode()

    def _package_png(self, cat: Category, pkg: str, year: int) -> bytes:
        return charts.year_chart(pkg, self.package_years(cat, pkg)[year])

    # --- enumeration (static export) ---------------------------------------------------

    def paths(self) -> Iterator[str]:
        """Every file of the site, directory indexes as `index.html`."""
        yield "main.css"
        for cat in self.categories:
            yield cat.index_page
        for cat in self.categories:
            sub, pre = cat.web_subdir, cat.file_prefix
            yield f"{sub}/index.html"
            for name in ("stats.tab", "packages.txt", "pkg_stats.tab", "pkg_scores.tab"):
                yield f"{sub}/{pre}_{name}"
            for year in self.category_span(cat):
                yield f"{sub}/{pre}_{year}_stats.tab"
                yield f"{sub}/{pre}_{year}_stats.png"
            for pkg in sorted(self.scores(cat), key=pages.name_key):
                yield f"{sub}/{pkg}.html"
                yield f"{sub}/{pkg}/index.html"
                yield f"{sub}/{pkg}/{pkg}_stats.tab"
                for year in sorted(self.package_years(cat, pkg), reverse=True):
                    yield f"{sub}/{pkg}/{pkg}_{year}_stats.tab"
                    yield f"{sub}/{pkg}/{pkg}_{year}_stats.png"


def site(snap: Snapshot, settings: Settings) -> Site:
    """The Site of the snapshot's build, created once per build."""

    def make() -> Site:
        s = Site(snap, settings)
        snap.on_retire(s.close)
        return s

    return snap.cached(("legacy-site",), make)
