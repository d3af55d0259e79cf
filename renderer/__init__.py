"""The web face of bioc-webstats: the legacy /packages/stats/ pages and the JSON API.

`renderer.app.create_app` builds the Flask application; `renderer.serve` runs it under
Waitress and `renderer.export` writes the legacy site as files. The package reads the
warehouse only through webstats.core.
"""
