"""Badges on the hand-made marts (tests/renderer/conftest.py, `handmade`), both engines.

valid_thru is 2024-03-04, so the last whole month is February 2024: ABC 3 downloads, alpha.pkg
none. bioc ranks 4 packages: alpha.pkg 1, ABC 2. alpha.pkg's first month is 2023-03, Beta2's
2022-06.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from renderer.app import create_app
from renderer.badges import last_whole_month

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def client(handmade_settings):
    return create_app(handmade_settings).test_client()


def texts(resp) -> list[str]:
    root = ET.fromstring(resp.data)  # well-formed SVG
    return [t.text for t in root.iter(f"{NS}text")]


@pytest.mark.parametrize(
    ("package", "kind", "message"),
    [
        ("alpha.pkg", "rank", "1 / 4"),
        ("ABC", "rank", "2 / 4"),
        ("ABC", "downloads-month", "3/month"),
        ("alpha.pkg", "downloads-month", "0/month"),
        ("alpha.pkg", "years", "since 2023"),
        ("Beta2", "years", "2 years"),
    ],
)
def test_badges(client, package, kind, message):
    resp = client.get(f"/badges/{package}/{kind}.svg")
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert texts(resp)[1] == message
    assert b"@import" not in resp.data and b"url(" not in resp.data  # nothing fetched
    again = client.get(
        f"/badges/{package}/{kind}.svg", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert again.status_code == 304
    shield = client.get(f"/api/badge/{package}/{kind}")
    assert shield.status_code == 200
    assert shield.get_json() == {
        "schemaVersion": 1,
        "label": texts(resp)[0],
        "message": message,
        "color": "blue",
    }


def test_unknown_package_is_a_grey_404(client):
    for url in ("/badges/nosuch/rank.svg", "/badges/abc.def/years.svg", "/badges/ABC/nope.svg"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert resp.mimetype == "image/svg+xml"
        assert texts(resp)[1] == "not found"
        assert b"#9f9f9f" in resp.data
    shield = client.get("/api/badge/nosuch/rank")
    assert shield.status_code == 404
    assert shield.get_json()["message"] == "not found" and shield.get_json()["isError"]
    assert client.get("/api/badge/ABC/nope").status_code == 404


def test_last_whole_month():
    assert last_whole_month(dt.date(2024, 3, 4)) == dt.date(2024, 2, 1)
    assert last_whole_month(dt.date(2024, 2, 29)) == dt.date(2024, 2, 1)
    assert last_whole_month(dt.date(2024, 1, 1)) == dt.date(2023, 12, 1)
