"""A real browser (Debian's headless Chromium, driven by Playwright) walks the legacy site.

Index -> another category -> a package page -> its .tab file -> back, checking that every
chart image on the pages really loaded. Screenshots go to test-output/ (gitignored). The
browser is `browser_page` (tests/renderer/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def broken_images(page) -> list[str]:
    """Sources of <IMG>s that did not load (naturalWidth 0) once loading has finished."""
    page.wait_for_load_state("load")
    return page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )


def shot(page, name: str, target: str, output: Path) -> None:
    out = output / "browser" / target
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(out) / f"{name}.png"), full_page=True)


def test_walk_the_site(live_server, browser_page, output_dir):
    page = browser_page
    target = live_server.settings.target
    page.goto(live_server.url("/packages/stats/"))
    assert page.title() == "Download stats for Bioconductor software packages"
    assert page.locator("h2", has_text="Top 75").count() == 1
    shot(page, "1-index", target, output_dir)

    page.click("text=Bioconductor workflow packages")
    page.wait_for_url("**/packages/stats/workflows.html")
    assert page.title() == "Download stats for Bioconductor workflow packages"
    shot(page, "2-workflows", target, output_dir)

    page.click("text=wf1\u00a0(0)")
    page.wait_for_url("**/packages/stats/workflows/wf1/")
    assert page.title() == "Download stats for workflow package wf1"
    imgs = page.locator("img")
    assert imgs.count() == 1
    assert broken_images(page) == []
    assert page.eval_on_selector("img", "i => [i.naturalWidth, i.naturalHeight]") == [720, 400]
    shot(page, "3-package", target, output_dir)

    page.click("text=wf1_stats.tab")
    page.wait_for_url("**/packages/stats/workflows/wf1/wf1_stats.tab")
    text = page.inner_text("body")
    assert text.startswith("Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads")
    assert "2015\tall\t1\t2" in text

    page.go_back()
    page.wait_for_url("**/packages/stats/workflows/wf1/")
    assert page.title() == "Download stats for workflow package wf1"

    page.click("text=Back to the")
    page.wait_for_url("**/packages/stats/workflows.html")
    page.click("text=Bioconductor software packages")
    page.wait_for_url("**/packages/stats/index.html")
    page.click("text=alpha.pkg\u00a0(7) >> nth=0")
    page.wait_for_url("**/packages/stats/bioc/alpha.pkg/")
    assert page.locator("img").count() == 2
    assert broken_images(page) == []
    shot(page, "4-package-two-years", target, output_dir)

    page.goto(live_server.url("/packages/stats/bioc/"))
    assert page.locator("img").count() == 16  # 2024 back to 2009, zero years included
    assert broken_images(page) == []
    css = page.eval_on_selector("body", "b => getComputedStyle(b).fontFamily")
    assert "Helvetica" in css  # main.css was found through the relative link
    shot(page, "5-category", target, output_dir)
