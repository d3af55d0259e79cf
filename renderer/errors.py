"""The one error answer: JSON under /api/, a small HTML page elsewhere; never a trace.

Error bodies are never cached (`no-store`): they must not outlive a fixed input.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from renderer.legacy.pages import error_page
from renderer.snapshot import WarehouseUnavailable

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def json_bytes(payload: object) -> bytes:
    """Compact JSON, as every API answer is written."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def error_response(status: int, message: str, title: str | None = None) -> Response:
    """An error answer for the current request's surface (API or pages)."""
    if request.path.startswith(API_PREFIX):
        resp = Response(json_bytes({"error": message}), status=status, mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return Response(
        error_page(status, title or message, message),
        status=status,
        content_type="text/html; charset=utf-8",
    )


def register_error_handlers(app: Flask) -> None:
    """App-wide handlers; the API blueprint words its own messages through the same answer."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:  # routing redirects (e.g. missing trailing slash)
            return exc
        resp = error_response(exc.code or 500, exc.description or exc.name, exc.name)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(WarehouseUnavailable)
    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def unavailable(exc: Exception):
        log.warning("warehouse unavailable: %s", exc)
        resp = error_response(
            503, "The statistics are not available right now.", "Service Unavailable"
        )
        resp.headers["Retry-After"] = "60"
        return resp

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "Something went wrong on our side.", "Internal Server Error")
