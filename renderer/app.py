"""The application factory: one Snapshots source per app, one blueprint per surface."""

from __future__ import annotations

from flask import Flask

from renderer.api.blueprint import bp as api_bp
from renderer.badges import bp as badges_bp
from renderer.dashboard import bp as dashboard_bp
from renderer.dumps import bp as dumps_bp
from renderer.errors import register_error_handlers
from renderer.legacy import pages
from renderer.legacy.blueprint import CachedFastPath
from renderer.legacy.blueprint import bp as legacy_bp
from renderer.legacy.site import site
from renderer.snapshot import Snapshots, WarehouseUnavailable
from webstats.core.settings import Settings
from webstats.core.settings import settings as load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app over the settings' warehouse (default: the environment's)."""
    cfg = settings or load_settings()
    app = Flask(__name__, static_folder=None)  # main.css is served by the legacy site
    app.config["WEBSTATS_SETTINGS"] = cfg
    # `//` is not a path of the site: answer 404, not a redirect to a guessed URL.
    app.url_map.merge_slashes = False
    app.extensions["snapshots"] = Snapshots(cfg)
    app.register_blueprint(legacy_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(dumps_bp)
    app.register_blueprint(dashboard_bp)
    register_error_handlers(app)
    app.wsgi_app = CachedFastPath(app, app.wsgi_app)
    return app


def snapshots(app: Flask) -> Snapshots:
    """Where the app gets the current build's Snapshot."""
    return app.extensions["snapshots"]


def warm_up(app: Flask) -> None:
    """Load what every page needs (categories, score tables, templates) before the first
    visitor, so that the first request of a page only renders that page."""
    try:
        snap = snapshots(app).snapshot()
    except WarehouseUnavailable:
        return  # served as 503 until a build exists
    s = site(snap, app.config["WEBSTATS_SETTINGS"])
    for cat in s.categories:
        s.scores(cat)
        s.category_years(cat)
    for name in pages.ENV.list_templates():
        pages.ENV.get_template(name)
