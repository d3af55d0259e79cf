"""The dashboard page at /packages/stats/dashboard/: charts drawn in the browser from the
public JSON API only (docs/api.md, "Dashboard").

Everything it needs is served from here, so it works offline: the page (a template without
data), its script (renderer/static/dashboard.js), and Plotly's bundled JavaScript, which the
`plotly` Python package ships (a dependency; no third-party code is copied into this
repository). The files are sent with ETag and Last-Modified (304 on revalidation).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

import jinja2
from flask import Blueprint, Response, abort, request, send_file

bp = Blueprint("dashboard", __name__, url_prefix="/packages/stats/dashboard")

HERE = Path(__file__).parent
SCRIPT = HERE / "static" / "dashboard.js"
CACHE_CONTROL = "public, max-age=3600"


@functools.cache
def page() -> tuple[bytes, str]:
    """The page's bytes and their ETag (the template has no data: rendered once)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    body = env.get_template("dashboard.html").render().encode()
    return body, hashlib.sha1(body, usedforsecurity=False).hexdigest()[:24]


def plotly_bundle() -> Path | None:
    """Plotly's minified bundle as installed with the `plotly` package (None if absent)."""
    try:
        path = resources.files("plotly") / "package_data" / "plotly.min.js"
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


@bp.get("/")
def dashboard() -> Response:
    body, etag = page()
    resp = Response(body, mimetype="text/html")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    return resp.make_conditional(request)


@bp.get("/dashboard.js")
def script() -> Response:
    return _file(SCRIPT, "text/javascript")


@bp.get("/plotly.min.js")
def plotly() -> Response:
    bundle = plotly_bundle()
    if bundle is None:
        abort(404)
    return _file(bundle, "text/javascript")


def _file(path: Path, mimetype: str) -> Response:
    """A static file, streamed, with validators from its size and time (send_file's)."""
    resp = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=3600)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    return resp
