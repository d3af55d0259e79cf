"""The JSON API under /api/ (placeholder until the API lands)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
