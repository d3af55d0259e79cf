"""Badges for package READMEs: `/badges/{package}/{kind}.svg` and the same facts as shields.io
endpoint JSON at `/api/badge/{package}/{kind}` (docs/api.md, "Badges").

The facts are read from marts the site already serves (`stats`, `package_scores`,
`webstats_info`); nothing is computed here that SQL does not hold. The SVG is drawn here,
flat style, text in the system's sans-serif (no web font, nothing fetched), with widths from
a small per-character table: close enough for a badge, and it needs no font file. Answers are
memoised per build and carry the build's validators (304 on revalidation).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from flask import Blueprint, Response, current_app

from renderer import http
from renderer.api.params import PACKAGE_RE
from renderer.cache import LRU
from renderer.errors import json_bytes
from renderer.snapshot import Snapshot

bp = Blueprint("badges", __name__)

KINDS = ("downloads-month", "rank", "years")
LABELS = {"downloads-month": "downloads", "rank": "rank", "years": "in Bioconductor"}
BLUE, GREY = "#007ec6", "#9f9f9f"
SVG = "image/svg+xml"


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    found: bool


def _snapshot() -> Snapshot:
    return current_app.extensions["snapshots"].snapshot()


def last_whole_month(valid_thru: dt.date) -> dt.date:
    """First day of the newest calendar month the loaded logs cover entirely."""
    if (valid_thru + dt.timedelta(days=1)).day == 1:
        return valid_thru.replace(day=1)
    return (valid_thru.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _ranks(snap: Snapshot, package: str) -> list[tuple[str, int, int]]:
    """(category, rank, packages in that category) for each category listing `package`."""
    rows = snap.rows(
        "select s.category, s.rank, (select count(*) from package_scores c "
        "where c.category = s.category) from package_scores s where s.package = :p",
        {"p": package},
    )
    return sorted((r[0], int(r[1]), int(r[2])) for r in rows)


def _month_downloads(snap: Snapshot, package: str, month: dt.date) -> int:
    rows = snap.rows(
        "select sum(download_count) from stats where package = :p and is_monthly = :m "
        "and date = :d",
        {"p": package, "m": True, "d": month},
    )
    return int(rows[0][0] or 0)


def _first_year(snap: Snapshot, package: str) -> int | None:
    rows = snap.rows(
        "select min(date) from stats where package = :p and is_monthly = :m",
        {"p": package, "m": True},
    )
    return None if rows[0][0] is None else rows[0][0].year


def badge(snap: Snapshot, package: str, kind: str) -> Badge:
    """The badge's text; `found` is False for a name no category ranks (grey, 404)."""
    ranks = _ranks(snap, package) if PACKAGE_RE.fullmatch(package) else []
    if not ranks:
        return Badge(LABELS[kind], "not found", False)
    if kind == "rank":
        _category, rank, total = min(ranks, key=lambda r: r[1])
        return Badge("rank", f"{rank:,} / {total:,}", True)
    if kind == "downloads-month":
        month = last_whole_month(snap.valid_thru)
        return Badge("downloads", f"{_month_downloads(snap, package, month):,}/month", True)
    first = _first_year(snap, package)
    if first is None:
        return Badge(LABELS[kind], "no downloads yet", True)
    years = snap.valid_thru.year - first
    return Badge(LABELS[kind], f"since {first}" if years < 2 else f"{years} years", True)


def _width(text: str) -> int:
    """Approximate width in px of `text` at 11px sans-serif (Verdana-like metrics)."""
    narrow, wide = set("ijlI.,:;!|' /()1"), set("mwMW@%")
    return round(sum(3.5 if c in narrow else 9.5 if c in wide else 7.0 for c in text))


def svg(b: Badge) -> bytes:
    """A flat badge: grey label, blue (or grey when not found) message."""
    left, right = _width(b.label) + 10, _width(b.message) + 10
    total, color = left + right, BLUE if b.found else GREY
    label, message = html.escape(b.label), html.escape(b.message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label}: {message}"><title>{label}: {message}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{message}</text></g></svg>'
    ).encode()


def shields_json(b: Badge) -> bytes:
    """shields.io's endpoint schema, so a project can restyle the badge on shields.io."""
    body = {
        "schemaVersion": 1,
        "label": b.label,
        "message": b.message,
        "color": "blue" if b.found else "lightgrey",
    }
    if not b.found:
        body["isError"] = True
    return json_bytes(body)


def _answer(package: str, kind: str, render, content_type: str) -> Response:
    snap = _snapshot()
    lru: LRU = snap.cached(("badges", "lru"), lambda: LRU(4096))
    key = (package, kind, content_type)
    found, body = lru.get_or_compute(key, lambda: _render(snap, package, kind, render))
    if not found:
        resp = Response(body, status=404, content_type=content_type)
        resp.headers["Cache-Control"] = "no-store"
        return resp
    resp = http.respond(snap, "badge:" + repr(key), lambda: body, content_type)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _render(snap: Snapshot, package: str, kind: str, render) -> tuple[bool, bytes]:
    b = badge(snap, package, kind)
    return b.found, render(b)


@bp.get("/badges/<package>/<kind>.svg")
def badge_svg(package: str, kind: str) -> Response:
    """The SVG badge; an unknown package or kind is a grey "not found" badge with 404."""
    if kind not in KINDS:
        return Response(svg(Badge("badge", "not found", False)), status=404, content_type=SVG)
    return _answer(package, kind, svg, SVG)


@bp.get("/api/badge/<package>/<kind>")
def badge_endpoint(package: str, kind: str) -> Response:
    """shields.io endpoint JSON for the same badge."""
    if kind not in KINDS:
        body = shields_json(Badge("badge", "not found", False))
        return Response(body, status=404, content_type="application/json")
    return _answer(package, kind, shields_json, "application/json")
