"""The web face of bioc-webstats: the legacy /packages/stats/ pages and the JSON API."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from webstats.config import Settings
from webstats.config import settings as load_settings

from .db import Warehouse, WarehouseUnavailable

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory: one Warehouse per app, one blueprint per surface."""
    cfg = settings or load_settings()
    app = Flask(__name__, static_folder=None)  # main.css is served by the legacy site
    app.config["WEBSTATS_SETTINGS"] = cfg
    # `//` is not a path of the site: answer 404, not a redirect to a guessed URL.
    app.url_map.merge_slashes = False
    app.extensions["warehouse"] = Warehouse(cfg)

    from .api import bp as api_bp
    from .legacy import bp as legacy_bp

    app.register_blueprint(legacy_bp)
    app.register_blueprint(api_bp)
    _register_errors(app)

    from .legacy import CachedFastPath

    app.wsgi_app = CachedFastPath(app, app.wsgi_app)
    return app


def warm_up(app: Flask) -> None:
    """Load what every page needs (categories, score tables, templates) before the first
    visitor, so that the first request of a page only renders that page."""
    from . import pages
    from .site import site

    try:
        snap = warehouse(app).snapshot()
    except WarehouseUnavailable:
        return  # served as 503 until a build exists
    s = site(snap, app.config["WEBSTATS_SETTINGS"])
    for cat in s.categories:
        s.scores(cat)
        s.category_years(cat)
    for name in pages.ENV.list_templates():
        pages.ENV.get_template(name)


def warehouse(app: Flask) -> Warehouse:
    return app.extensions["warehouse"]


def _error(code: int, title: str, message: str) -> Response:
    """A small error answer: JSON under /api/, a short HTML page elsewhere; never a trace."""
    if request.path.startswith("/api/"):
        resp = jsonify({"error": message})
        resp.status_code = code
        return resp
    from .pages import error_page

    return Response(
        error_page(code, title, message), status=code, content_type="text/html; charset=utf-8"
    )


def _register_errors(app: Flask) -> None:
    """App-wide error pages; the API blueprint may register its own JSON handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:  # routing redirects (e.g. missing trailing slash)
            return exc
        resp = _error(exc.code or 500, exc.name, exc.description or exc.name)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(WarehouseUnavailable)
    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def unavailable(exc: Exception):
        log.warning("warehouse unavailable: %s", exc)
        resp = _error(503, "Service Unavailable", "The statistics are not available right now.")
        resp.headers["Retry-After"] = "60"
        return resp

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return _error(500, "Internal Server Error", "Something went wrong on our side.")
