"""Conditional GET for data that only changes when a build finishes (shared by both blueprints).

Validators come from the build, not from the bytes: the ETag is a hash of the build stamp
and the canonical path, and Last-Modified is the build's as-of day at 00:00:00 GMT (SPEC 5).
Both are known before anything is rendered, so a revalidation (If-None-Match /
If-Modified-Since) is answered with a 304 without touching the database or the renderer.

Typical use (the API can do the same with its own canonical key, e.g. path + query):

    snap = warehouse.snapshot()
    return respond(snap, key, lambda: render(...), "application/json")
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from flask import Response, request
from werkzeug.http import http_date, is_resource_modified

from .db import Snapshot

CACHE_CONTROL = "public, max-age=300"


def last_modified(snap: Snapshot) -> dt.datetime:
    """The as-of day at midnight UTC: the day the pages are "generated" (SPEC 4, 5)."""
    d = snap.as_of_date
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


def etag(snap: Snapshot, key: str) -> str:
    """A strong validator for `key` in this build (unquoted; Werkzeug adds the quotes)."""
    return hashlib.sha1(f"{snap.key}\0{key}".encode(), usedforsecurity=False).hexdigest()[:24]


def validator_headers(snap: Snapshot, key: str) -> dict[str, str]:
    return {
        "ETag": f'"{etag(snap, key)}"',
        "Last-Modified": http_date(last_modified(snap)),
        "Cache-Control": CACHE_CONTROL,
    }


def is_fresh(snap: Snapshot, key: str, environ: dict | None = None) -> bool:
    """True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    env = environ if environ is not None else request.environ
    if not (env.get("HTTP_IF_NONE_MATCH") or env.get("HTTP_IF_MODIFIED_SINCE")):
        return False
    return not is_resource_modified(
        env, etag=etag(snap, key), last_modified=last_modified(snap), ignore_if_range=True
    )


def respond(
    snap: Snapshot,
    key: str,
    produce: Callable[[], bytes],
    content_type: str,
    status: int = 200,
) -> Response:
    """A response for `key` in this build: 304 when the client is fresh, else the bytes.

    HEAD needs nothing special: Flask routes it to the GET view and Werkzeug drops the body
    while keeping Content-Length.
    """
    headers = validator_headers(snap, key)
    if status == 200 and is_fresh(snap, key):
        return Response(status=304, headers=headers)
    body = produce()
    return Response(body, status=status, headers=headers, content_type=content_type)
