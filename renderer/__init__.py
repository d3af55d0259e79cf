"""The web face of bioc-webstats: the legacy /packages/stats/ pages and the JSON API."""

from __future__ import annotations

from flask import Flask

from webstats.config import Settings, settings as load_settings

from .db import Warehouse


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory: one Warehouse per app, one blueprint per surface."""
    cfg = settings or load_settings()
    app = Flask(__name__)
    app.config["WEBSTATS_SETTINGS"] = cfg
    app.extensions["warehouse"] = Warehouse(cfg)

    from .api import bp as api_bp
    from .legacy import bp as legacy_bp

    app.register_blueprint(legacy_bp)
    app.register_blueprint(api_bp)
    return app


def warehouse(app: Flask) -> Warehouse:
    return app.extensions["warehouse"]
