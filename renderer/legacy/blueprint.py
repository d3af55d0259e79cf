"""The legacy /packages/stats/ site: one catch-all view over `Site` (see renderer/site.py).

A single route keeps the URL grammar in one place (`Site.resolve`, site.py), which the static
export reuses; anything it does not recognise is a 404, whatever bytes the path holds.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect

from renderer import http
from renderer.legacy.site import Redirect, site

bp = Blueprint("legacy", __name__, url_prefix="/packages/stats")
PREFIX = "/packages/stats/"


def current_site():
    app = current_app
    snap = app.extensions["snapshots"].snapshot()
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
    if target.write is not None:
        return http.respond_file(snap, target.key, lambda: s.open(target), target.mimetype)
    return http.respond(snap, target.key, lambda: s.body(target), target.mimetype)


class CachedFastPath:
    """WSGI middleware: GET/HEAD of a legacy file already rendered for the current build is
    answered here, without Flask's request context and routing (about half the CPU time of a
    cached hit). Anything else (first renders, 404s, redirects, errors, other methods, the
    API) goes to the Flask app unchanged. The headers are those `http.respond` sets."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        hit = self._cached(environ)
        if hit is None:
            return self.wsgi_app(environ, start_response)
        snap, s, target, body = hit
        headers = http.validator_headers(snap, target.key)
        if http.is_fresh(snap, target.key, environ):
            start_response("304 NOT MODIFIED", list(headers.items()))
            return []
        head = environ["REQUEST_METHOD"] == "HEAD"
        if body is not None:
            size = len(body)
        elif head:
            size = s.spool.size(target.key)
            if size is None:  # retired since: let Flask answer
                return self.wsgi_app(environ, start_response)
        else:
            f, size = s.open(target)
        headers["Content-Type"] = target.mimetype
        headers["Content-Length"] = str(size)
        start_response("200 OK", list(headers.items()))
        if head:
            return []
        if body is None:
            return http.file_iterable(environ, f)
        return http.body_iterable(environ, body)

    def _cached(self, environ):
        """(snapshot, site, target, body) when this request is a hit in the per-build cache;
        body is None for a spooled file already written for this build."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        raw = environ.get("PATH_INFO", "")
        if not raw.startswith(PREFIX):
            return None
        try:
            path = raw[len(PREFIX):].encode("latin-1").decode("utf-8")
            snap = self.app.extensions["snapshots"].snapshot()
        except Exception:  # odd bytes, warehouse down: let Flask give the proper answer
            return None
        s = site(snap, self.app.config["WEBSTATS_SETTINGS"])
        target = s.resolve(path)
        if target is None or isinstance(target, Redirect):
            return None
        if target.write is not None:
            return None if s.spool.size(target.key) is None else (snap, s, target, None)
        body = s.bodies.get(target.key)
        return None if body is None else (snap, s, target, body)
