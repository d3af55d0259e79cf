"""Formatting: mart rows -> the bytes of the legacy files (docs/rules.md, "The pages").

Nothing here decides what a download is or how a score is computed; it only lays rows out.
Filling months and years without rows with zeros is part of the layout (the marts only hold
periods that had downloads).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2

from renderer.legacy.queries import Category, Period, Score

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
YEAR_HEADER = "Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"
PKG_HEADER = "Package\tYear\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"
SCORES_HEADER = "Package\tDownload_score\n"
COLUMNS = 3


@dataclass(frozen=True)
class Month:
    name: str
    ip_count: int
    download_count: int


@dataclass(frozen=True)
class Year:
    """One year laid out as the pages show it: 12 months, zeros filled in, and a total."""

    year: int
    months: tuple[Month, ...]
    ip_count: int
    download_count: int


def name_key(name: str) -> tuple[str, str]:
    """Case-insensitive order, ties broken by code points (= UTF-8 byte order)."""
    return (name.lower(), name)


def years_of(periods: Iterable[Period]) -> dict[int, Year]:
    """Group monthly and yearly rows into `Year`s, only for years that have rows."""
    monthly: dict[int, list[tuple[int, int]]] = {}
    yearly_ips: dict[int, int] = {}
    for p in periods:
        y = p.date.year
        months = monthly.setdefault(y, [(0, 0)] * 12)
        if p.is_monthly:
            months[p.date.month - 1] = (p.ip_count, p.download_count)
        else:
            yearly_ips[y] = p.ip_count
    out: dict[int, Year] = {}
    for y, months in monthly.items():
        out[y] = Year(
            y,
            tuple(Month(MONTHS[i], ip, dl) for i, (ip, dl) in enumerate(months)),
            yearly_ips.get(y, 0),
            sum(dl for _, dl in months),
        )
    return out


def empty_year(year: int) -> Year:
    return Year(year, tuple(Month(m, 0, 0) for m in MONTHS), 0, 0)


def year_span(cat: Category, as_of: dt.date, years: Iterable[int] = ()) -> range:
    """Years a page covers, newest first: the category's first year to the as-of year.

    A stray row outside that span (a log older than the category's first year) widens it
    rather than disappearing from the page.
    """
    present = list(years)
    first = min([cat.first_year, *present])
    last = max([as_of.year, *present])
    return range(last, first - 1, -1)


# --- text files (docs/rules.md) ----------------------------------------------------------


def year_lines(y: Year, prefix: str = "") -> str:
    """The 13 lines of one year (12 months + `all`), each prefixed (for pkg_stats)."""
    parts = [
        f"{prefix}{y.year}\t{m.name}\t{m.ip_count}\t{m.download_count}\n" for m in y.months
    ]
    parts.append(f"{prefix}{y.year}\tall\t{y.ip_count}\t{y.download_count}\n")
    return "".join(parts)


def year_tab(y: Year) -> str:
    return YEAR_HEADER + year_lines(y)


def years_tab(years: Sequence[Year]) -> str:
    """All-years file: `years` must already be newest first."""
    return YEAR_HEADER + "".join(year_lines(y) for y in years)


def package_block(name: str, years: Sequence[Year]) -> str:
    """One package's lines of `<pre>_pkg_stats.tab` (`years` newest first)."""
    prefix = f"{name}\t"
    return "".join(year_lines(y, prefix) for y in years)


def scores_tab(scores: Iterable[Score]) -> str:
    return SCORES_HEADER + "".join(
        f"{s.package}\t{s.score}\n" for s in sorted(scores, key=lambda s: name_key(s.package))
    )


def packages_txt(names: Iterable[str]) -> str:
    return "".join(f"{n}\n" for n in sorted(names, key=name_key))


# --- HTML pages (docs/rules.md) ----------------------------------------------------------


def _urlpart(value: object) -> str:
    """Quote a name for use inside an href; plain package names come out unchanged."""
    return quote(str(value), safe="")


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    auto_reload=False,
)
ENV.filters["urlpart"] = _urlpart


def render(template: str, **context: object) -> str:
    return ENV.get_template(template).render(**context)


def generated(built_at: dt.datetime) -> str:
    """`2024-02-11 00:00:00 -0000 (Sun, 11 Feb 2024)`, in UTC, locale-independent."""
    if built_at.tzinfo is not None:
        built_at = built_at.astimezone(dt.UTC).replace(tzinfo=None)
    return (
        f"{built_at:%Y-%m-%d %H:%M:%S} -0000 "
        f"({DAYS[built_at.weekday()]}, {built_at.day:02d} {MONTHS[built_at.month - 1]} "
        f"{built_at.year})"
    )


def columns(items: Sequence, n: int = COLUMNS) -> list[list]:
    """Split a list into `n` top-to-bottom columns of ceil(len/n) items (legacy layout)."""
    per = math.ceil(len(items) / n) if items else 0
    if per == 0:
        return [[] for _ in range(n)]
    return [list(items[i * per : (i + 1) * per]) for i in range(n)]


def letter_groups(scores: Iterable[Score], by_letter: bool) -> list[tuple[str, list[list]]]:
    """Alphabetical index: one group per upper-cased first letter, or one unnamed group."""
    ordered = sorted(scores, key=lambda s: name_key(s.package))
    if not by_letter:
        return [("", columns(ordered))]
    groups: dict[str, list[Score]] = {}
    for s in ordered:
        groups.setdefault(s.package[:1].upper(), []).append(s)
    return [(letter, columns(items)) for letter, items in groups.items()]


def index_page(
    cat: Category, cats: Sequence[Category], scores: Iterable[Score], built_at: dt.datetime
) -> str:
    """A category's index page. Categories without a top list (workflows) have a flat index."""
    all_scores = list(scores)
    top: list[Score] = []
    if cat.top_n is not None:
        top = sorted((s for s in all_scores if s.rank <= cat.top_n), key=lambda s: s.rank)
    return render(
        "index.html",
        title=f"Download stats for Bioconductor {cat.label} packages",
        css="main.css",
        cat=cat,
        others=[c for c in cats if c.category != cat.category],
        generated=generated(built_at),
        top_columns=columns(top),
        groups=letter_groups(all_scores, by_letter=cat.top_n is not None),
    )


def _back(cat: Category, depth: int) -> str:
    """Relative link to the category's index page (`index.html` is the directory itself)."""
    page = "" if cat.index_page == "index.html" else cat.index_page
    return "../" * depth + page


def _years_context(span: range, years: dict[int, Year], fill: bool) -> list:
    return [(y, years.get(y) or (empty_year(y) if fill else None)) for y in span]


def category_page(
    cat: Category, years: dict[int, Year], as_of: dt.date, built_at: dt.datetime
) -> str:
    span = year_span(cat, as_of, years)
    title = f"Download stats for Bioconductor {cat.label} repository (all packages combined)"
    return render(
        "category.html",
        title=title,
        css="../main.css",
        cat=cat,
        back=_back(cat, 1),
        generated=generated(built_at),
        first_year=span[-1],
        last_year=span[0],
        years=_years_context(span, years, fill=True),
        stem=cat.file_prefix,
    )


def home_links(cat: Category, score: Score) -> list[tuple[str, str]]:
    links = []
    if score.in_release:
        links.append(("release version", f"/packages/release/{cat.log_path}/html/"))
    if score.in_devel:
        links.append(("devel version", f"/packages/devel/{cat.log_path}/html/"))
    return [(label, f"{href}{_urlpart(score.package)}.html") for label, href in links]


def package_page(
    cat: Category, score: Score, years: dict[int, Year], as_of: dt.date, built_at: dt.datetime
) -> str:
    span = year_span(cat, as_of, years)
    return render(
        "package.html",
        title=f"Download stats for {cat.label} package {score.package}",
        css="../../main.css",
        cat=cat,
        package=score.package,
        back=_back(cat, 2),
        generated=generated(built_at),
        home_links=home_links(cat, score),
        first_year=span[-1],
        last_year=span[0],
        years=_years_context(span, years, fill=False),
        stem=score.package,
    )


def moved_page(cat: Category, package: str, base_url: str) -> str:
    url = f"{base_url.rstrip('/')}/packages/stats/{cat.web_subdir}/{_urlpart(package)}/"
    return render(
        "moved.html",
        title=f"Download stats for {cat.label} package {package}",
        css="../main.css",
        url=url,
    )


def error_page(code: int, title: str, message: str) -> str:
    return render(
        "error.html",
        title=f"{code} {title}",
        css="/packages/stats/main.css",
        code=code,
        message=message,
    )
