"""The legacy /packages/stats/ site: one catch-all view over `Site` (see renderer/site.py).

A single route keeps the URL grammar in one place (`Site.resolve`, site.py), which the static
export reuses; anything it does not recognise is a 404, whatever bytes the path holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, redirect

from renderer import http
from renderer.legacy.site import Redirect, Site, Target, site

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


#: paths the fast path remembers per build, found and missing (see CachedFastPath): each
#: entry is a few hundred bytes; past the bound, further paths take the resolving path
MEMO_PATHS = 16384
MEMO_MISSING = 1024


@dataclass(frozen=True)
class Hit:
    """What the fast path needs to answer a path of the current build without resolving it:
    the file (its site and target) and its headers but the length."""

    site: Site
    target: Target
    headers: tuple[tuple[str, str], ...]


class CachedFastPath:
    """WSGI middleware: GET/HEAD of a legacy file already rendered for the current build is
    answered here, without Flask's request context and routing (cached pages ran at about
    half the speed of a bare Waitress app through Flask: bench/bench_serving.py). So is a
    path the legacy catch-all answers 404, with the 404 Flask gave the first time. Anything
    else (first renders, redirects, errors, other methods, the API, the other blueprints'
    paths under /packages/stats/) goes to the Flask app unchanged. The headers are those
    `http.respond` sets.

    Per build, each path seen is remembered with what it resolved to (`Hit`, or missing),
    so a repeated request costs the build check, two dictionary look-ups and the headers;
    the bodies stay in the site's bounded LRU (a path whose body it dropped goes to Flask,
    which renders it again). The memo lives on the Snapshot: a new build starts afresh."""

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
        method = environ.get("REQUEST_METHOD")
        if method != "GET" and method != "HEAD":
            return self.wsgi_app(environ, start_response)
        raw = environ.get("PATH_INFO", "")
        if not raw.startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        try:
            snap = self.app.extensions["snapshots"].snapshot()
        except Exception:  # warehouse down: let Flask give the proper answer
            return self.wsgi_app(environ, start_response)
        hit = self._memo(snap, raw)
        if hit is None:
            return self.wsgi_app(environ, start_response)
        if hit is NOT_FOUND:
            return self._not_found(environ, start_response)
        s, target = hit.site, hit.target
        if (environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MODIFIED_SINCE")) and (
            http.is_fresh(snap, target.key, environ)
        ):
            start_response("304 NOT MODIFIED", [*http.validator_headers(snap, target.key).items()])
            return []
        head = method == "HEAD"
        if target.write is None:
            body = s.bodies.get(target.key)
            if body is None:  # dropped from the LRU since: Flask renders it again
                return self.wsgi_app(environ, start_response)
            start_response("200 OK", [*hit.headers, ("Content-Length", str(len(body)))])
            return [] if head else http.body_iterable(environ, body)
        if head:
            size = s.spool.size(target.key)
            if size is None:  # retired since: let Flask answer
                return self.wsgi_app(environ, start_response)
            start_response("200 OK", [*hit.headers, ("Content-Length", str(size))])
            return []
        f, size = s.open(target)
        start_response("200 OK", [*hit.headers, ("Content-Length", str(size))])
        return http.file_iterable(environ, f)

    def _memo(self, snap, raw: str):
        """`raw`'s Hit in this build, NOT_FOUND, or None (Flask answers); remembered per
        build once the file has been rendered (or the path found missing)."""
        memo = snap.cache.get(MEMO)
        if memo is None:
            memo = snap.cached(MEMO, lambda: ({}, {}))
        found, missing = memo
        hit = found.get(raw)
        if hit is not None:
            return hit
        if raw in missing:
            return NOT_FOUND
        hit = self._resolve(snap, raw)
        if hit is NOT_FOUND:
            if len(missing) < MEMO_MISSING:
                missing[raw] = True
        elif hit is not None and len(found) < MEMO_PATHS:
            found[raw] = hit
        return hit

    def _resolve(self, snap, raw: str):
        """A Hit when this request's file is in the per-build cache (rendered, or a spooled
        file already written for this build); NOT_FOUND for a path the legacy site does not
        have; None for what Flask must answer."""
        try:
            path = raw[len(PREFIX) :].encode("latin-1").decode("utf-8")
        except UnicodeError:  # odd bytes: let Flask give the proper answer
            return None
        s = site(snap, self.app.config["WEBSTATS_SETTINGS"])
        target = s.resolve(path)
        if target is None:
            return None if path.startswith(self.elsewhere) else NOT_FOUND
        if isinstance(target, Redirect):
            return None
        if target.write is not None:
            if s.spool.size(target.key) is None:
                return None
        elif s.bodies.get(target.key) is None:
            return None
        validators = http.validator_headers(snap, target.key)
        return Hit(s, target, (*validators.items(), ("Content-Type", target.mimetype)))

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


#: `CachedFastPath._resolve`'s answer for a path the legacy site does not have
NOT_FOUND = object()
#: the Snapshot cache key of the fast path's memo: ({path: Hit}, {missing path: True})
MEMO = ("fastpath", "memo")
