"""The dashboard page (/packages/stats/dashboard/) in Debian's headless Chromium, against a
real Waitress server over the pipeline-built hand-made events (conftest.py; valid_thru
2024-11-04): every chart is drawn from the API, the controls redraw them, no request fails,
nothing is fetched from another host, and the console stays clean. Screenshots go to
test-output/dashboard/ (gitignored).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CHARTS = ("trend-chart", "top-chart", "breakdown-chart")


def traces(page, chart: str) -> list[dict]:
    """Name and number of non-null points of each trace Plotly holds for `chart`."""
    return page.evaluate(
        """id => document.getElementById(id).data.map(t => ({
               name: t.name === undefined ? null : String(t.name),
               points: (t.orientation === 'h' ? t.x : t.y).filter(v => v !== null).length,
               y: t.y}))""",
        chart,
    )


def drawn(page, chart: str) -> int:
    return int(page.get_attribute(f"#{chart}", "data-drawn") or 0)


def redraw(page, chart: str, action) -> None:
    before = drawn(page, chart)
    action()
    page.wait_for_function(
        "([id, n]) => Number(document.getElementById(id).dataset.drawn || 0) > n",
        arg=[chart, before],
    )


def test_the_dashboard_draws_and_its_controls_work(
    api_warehouses, serve, browser_page, output_dir, fetch
):
    out = output_dir / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    page = browser_page
    errors: list[str] = []
    failed: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    with serve(api_warehouses("pipeline-duckdb")) as server:
        page.on(
            "request",
            lambda r: None if r.url.startswith(server.url("/")) else foreign.append(r.url),
        )
        status, headers, _ = fetch(server.url("/packages/stats/dashboard/plotly.min.js"))
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]

        page.goto(server.url("/packages/stats/dashboard/"))
        page.wait_for_selector("body[data-ready=true]")
        for chart in CHARTS:
            assert page.locator(f"#{chart} .main-svg").count() > 0, chart
        assert "Data through 2024-11-04" in page.inner_text("#status")
        # the top 3 of the last year by default: alpha 12, beta 5, deltaData 2 (gamma.db 2:
        # ties go by lower-case name)
        assert page.input_value("#packages") == "alpha,beta,deltaData"
        daily = traces(page, "trend-chart")
        assert [t["name"] for t in daily] == ["alpha", "beta", "deltaData"]
        # 90 days to 2024-11-04; logs loaded on 10-27, 11-01, 11-03, 11-04: the rest are gaps
        assert [t["points"] for t in daily] == [4, 4, 4]
        assert daily[0]["y"][-4:] == [0, None, 2, 0]  # 11-01 no download, 11-02 no logs
        page.screenshot(path=str(out / "1-daily.png"), full_page=True)

        page.fill("#packages", "alpha,gamma.db")
        redraw(page, "trend-chart", lambda: page.click("#compare"))
        assert [t["name"] for t in traces(page, "trend-chart")] == ["alpha", "gamma.db"]

        redraw(page, "trend-chart", lambda: page.select_option("#resolution", "monthly"))
        monthly = traces(page, "trend-chart")
        assert [t["points"] for t in monthly] == [24, 24]  # 2022-12 .. 2024-11, zeros included
        assert sum(monthly[0]["y"]) == 12 and sum(monthly[1]["y"]) == 3  # gamma.db: 5, 14, 22
        page.screenshot(path=str(out / "2-monthly.png"), full_page=True)

        page.fill("#packages", "a,b,c,d,e,f")
        page.click("#compare")
        page.wait_for_selector("#trend-message:has-text('from 1 to 5')")

        redraw(page, "top-chart", lambda: page.select_option("#top-period", "last-year"))
        top = page.evaluate("document.getElementById('top-chart').data[0].y")
        assert top == ["gamma.db", "deltaData", "beta", "alpha"]  # largest at the top
        redraw(page, "top-chart", lambda: page.select_option("#top-category", "annotation"))
        assert page.evaluate("document.getElementById('top-chart').data[0].y") == ["gamma.db"]

        redraw(page, "breakdown-chart", lambda: page.select_option("#breakdown", "bioc_version"))
        names = [t["name"] for t in traces(page, "breakdown-chart")]
        assert names == ["3.17", "3.18", "3.19", "3.20"]
        page.screenshot(path=str(out / "3-controls.png"), full_page=True)

    assert errors == [] and failed == [] and foreign == []
