"""Conditional GET for data that only changes when a build finishes (shared by both blueprints).

Validators come from the build, not from the bytes: the ETag is a hash of the build stamp
and the canonical path, and Last-Modified is the build's as-of day at 00:00:00 GMT
(docs/rules.md, "Validators").
Both are known before anything is rendered, so a revalidation (If-None-Match /
If-Modified-Since) is answered with a 304 without touching the database or the renderer.

Typical use (the API can do the same with its own canonical key, e.g. path + query):

    snap = warehouse.snapshot()
    return respond(snap, key, lambda: render(...), "application/json")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from typing import BinaryIO

from flask import Response, request
from werkzeug.http import http_date, is_resource_modified
from werkzeug.wsgi import wrap_file

from renderer.snapshot import Snapshot

CACHE_CONTROL = "public, max-age=300"
# Bodies above this size are handed to the server as a file (wsgi.file_wrapper over the
# cached bytes), so Waitress sends them without copying them into its buffers for every
# connection: 16 clients fetching a 7 MB .tab would otherwise cost 100+ MB of buffers.
LARGE_BODY = 64 * 1024
# Largest read handed to the server from such a file. Waitress asks for SO_SNDBUF bytes per
# send (about 4 MB on loopback), sends part, then re-reads: 16 clients of a 7 MB file kept
# tens of MB of short-lived chunks in flight (and in malloc's free lists afterwards).
READ_BLOCK = 256 * 1024


class Blocks:
    """A seekable binary file whose reads return at most READ_BLOCK bytes (see above)."""

    def __init__(self, f: BinaryIO):
        self.file = f
        self.seek, self.tell, self.close = f.seek, f.tell, f.close

    def seekable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        return self.file.read(READ_BLOCK if n is None or n < 0 or n > READ_BLOCK else n)


def last_modified(snap: Snapshot) -> dt.datetime:
    """The as-of day at midnight UTC: the day the pages are "generated" (docs/rules.md)."""
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
    if len(body) <= LARGE_BODY:
        return Response(body, status=status, headers=headers, content_type=content_type)
    resp = Response(
        wrap_file(request.environ, Blocks(io.BytesIO(body))),
        status=status,
        headers=headers,
        content_type=content_type,
        direct_passthrough=True,
    )
    resp.content_length = len(body)
    return resp


def respond_file(
    snap: Snapshot,
    key: str,
    open_file: Callable[[], tuple[BinaryIO, int]],
    content_type: str,
) -> Response:
    """Like `respond`, for a body kept in a file (see renderer/spool.py): the file is handed
    to the server, which streams it; the same headers as `respond` gives a large body."""
    headers = validator_headers(snap, key)
    if is_fresh(snap, key):
        return Response(status=304, headers=headers)
    f, size = open_file()
    if request.method == "HEAD":
        f.close()
        body = None
    else:
        body = wrap_file(request.environ, Blocks(f))
    resp = Response(
        body, status=200, headers=headers, content_type=content_type, direct_passthrough=True
    )
    resp.content_length = size
    return resp


def file_iterable(environ: dict, f: BinaryIO):
    """The WSGI iterable for an open file: the server's file wrapper, or blocks of it."""
    return wrap_file(environ, Blocks(f))


def body_iterable(environ: dict, body: bytes):
    """The WSGI iterable for `body`: the server's file wrapper for large bodies (see above)."""
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None and len(body) > LARGE_BODY:
        return wrapper(Blocks(io.BytesIO(body)))
    return [body]
