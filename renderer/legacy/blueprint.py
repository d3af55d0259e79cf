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
    answered here, without Flask's request context and routing (cached pages ran at about
    half the speed of a bare Waitress app through Flask: bench/bench_serving.py). So is a
    path the legacy catch-all answers 404, with the 404 Flask gave the first time. Anything
    else (first renders, redirects, errors, other methods, the API, the other blueprints'
    paths under /packages/stats/) goes to the Flask app unchanged. The headers are those
    `http.respond` sets, worked out once per build and file."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        # paths under PREFIX that other blueprints serve (the dashboard, the dumps)
        self.elsewhere = tuple(
            rule.rule[len(PREFIX) :].split("<")[0].rstrip("/")
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith(PREFIX) and rule.endpoint != "legacy.legacy_file"
        )
        self.not_found: tuple[str, list[tuple[str, str]], bytes] | None = None

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        hit = self._cached(environ)
        if hit is None:
            return self.wsgi_app(environ, start_response)
        if hit is NOT_FOUND:
            return self._not_found(environ, start_response)
        snap, s, target, body = hit
        if http.is_fresh(snap, target.key, environ):
            start_response("304 NOT MODIFIED", [*http.validator_headers(snap, target.key).items()])
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
        start_response("200 OK", [*self._headers(snap, target), ("Content-Length", str(size))])
        if head:
            return []
        if body is None:
            return http.file_iterable(environ, f)
        return http.body_iterable(environ, body)

    def _headers(self, snap, target) -> list[tuple[str, str]]:
        """Validators and type of `target` in this build (memoised: one entry per file)."""
        memo = snap.cached(("fastpath", "headers"), dict)
        try:
            return memo[target.key]
        except KeyError:
            validators = http.validator_headers(snap, target.key)
            headers = [*validators.items(), ("Content-Type", target.mimetype)]
            memo[target.key] = headers
            return headers

    def _cached(self, environ):
        """(snapshot, site, target, body) when this request is a hit in the per-build cache
        (body None for a spooled file already written for this build); NOT_FOUND for a path
        the legacy site does not have; None for what Flask must answer."""
        raw = environ.get("PATH_INFO", "")
        if not raw.startswith(PREFIX):
            return None
        try:
            path = raw[len(PREFIX) :].encode("latin-1").decode("utf-8")
            snap = self.app.extensions["snapshots"].snapshot()
        except Exception:  # odd bytes, warehouse down: let Flask give the proper answer
            return None
        s = site(snap, self.app.config["WEBSTATS_SETTINGS"])
        target = s.resolve(path)
        if target is None:
            return None if path.startswith(self.elsewhere) else NOT_FOUND
        if isinstance(target, Redirect):
            return None
        if target.write is not None:
            return None if s.spool.size(target.key) is None else (snap, s, target, None)
        body = s.bodies.get(target.key)
        return None if body is None else (snap, s, target, body)

    def _not_found(self, environ, start_response):
        """Flask's 404 for the legacy site, recorded from its first answer and replayed."""
        if self.not_found is None:
            return self._record_not_found(environ, start_response)
        status, headers, body = self.not_found
        start_response(status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _record_not_found(self, environ, start_response):
        answer: list = []

        def recording(status, headers, exc_info=None):
            answer[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        answered = self.wsgi_app(environ, recording)
        try:
            body = b"".join(answered)
        finally:
            if hasattr(answered, "close"):
                answered.close()
        if environ["REQUEST_METHOD"] == "GET" and answer and answer[0].startswith("404 "):
            self.not_found = (answer[0], answer[1], body)
        return [body]


#: `CachedFastPath._cached`'s answer for a path the legacy site does not have
NOT_FOUND = object()
