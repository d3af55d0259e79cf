"""The legacy /packages/stats/ site: one catch-all view over `Site` (see renderer/site.py).

A single route keeps the URL grammar in one place (`Site.resolve`), which the static export
reuses; anything it does not recognise is a 404, whatever bytes the path holds.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect

from . import http
from .site import Redirect, site

bp = Blueprint("legacy", __name__, url_prefix="/packages/stats")
PREFIX = "/packages/stats/"


def current_site():
    app = current_app
    snap = app.extensions["warehouse"].snapshot()
    return snap, site(snap, app.config["WEBSTATS_SETTINGS"])


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def legacy_file(path: str) -> Response:
    """Serve one file of the legacy site, with validators and conditional GET."""
    snap, s = current_site()
    target = s.resolve(path)
    if target is None:
        abort(404)
    if isinstance(target, Redirect):
        resp = redirect(PREFIX + target.location, code=301)
        resp.headers.update(http.validator_headers(snap, PREFIX + target.location))
        return resp
    return http.respond(snap, target.key, lambda: s.body(target), target.mimetype)
