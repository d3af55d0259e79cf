"""The legacy /packages/stats/ site (placeholder until the renderer lands)."""

from flask import Blueprint

bp = Blueprint("legacy", __name__, url_prefix="/packages/stats")
