"""The app, driven from its own OpenAPI document by schemathesis (offline, deterministic).

For every operation, positive and negative cases are generated from /api/openapi.json and
sent to the WSGI app; any 5xx, undocumented status, wrong content type or a body that violates
the documented schema fails the test. Examples are bounded and derandomised so CI is stable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from renderer.api.openapi import openapi_document
from renderer.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = sorted(
    (path, method) for path, item in openapi_document()["paths"].items() for method in item
)


def test_document_is_served_and_valid(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.get_json() == openapi_document()
    assert {p for p, _ in OPERATIONS} == {
        "/api/get_data",
        "/api/get_global_sum",
        "/api/get_daily_downloads",
        "/api/downloads/point/{period}/{packages}",
        "/api/downloads/range/{period}/{packages}",
        "/api/top/{period}/{n}",
        "/api/get_todays_downloads",
        "/api/downloads/daily/{period}/{packages}",
        "/api/downloads/daily/{period}",
        "/api/downloads/total/{period}/{packages}",
        "/api/downloads/total/{period}",
        "/api/status",
        "/api/badge/{package}/{kind}",
    }


def _has_input(path: str, method: str) -> bool:
    op = openapi_document()["paths"][path][method]
    return bool(op.get("parameters") or op.get("requestBody"))


#: the compatibility, status and badge operations reuse the checked parameter code of the
#: others: fewer examples keep the suite's time down (each example is one request)
EXAMPLES = {
    ("/api/get_todays_downloads", "get"): 15,
    ("/api/downloads/daily/{period}/{packages}", "get"): 15,
    ("/api/downloads/total/{period}/{packages}", "get"): 15,
    ("/api/downloads/daily/{period}", "get"): 15,
    ("/api/downloads/total/{period}", "get"): 15,
    ("/api/downloads/daily/{period}", "post"): 8,
    ("/api/downloads/total/{period}", "post"): 8,
    ("/api/status", "get"): 5,
    ("/api/badge/{package}/{kind}", "get"): 15,
}
#: negative cases need an input to break: /api/status takes none
FUZZ_CASES = [
    (path, method, mode)
    for path, method in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_input(path, method)
]


@pytest.mark.parametrize(("path", "method", "mode"), FUZZ_CASES)
def test_fuzz_from_openapi(fixture_settings, path, method, mode):
    app = create_app(fixture_settings)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]

    @settings(
        max_examples=EXAMPLES.get((path, method), 50),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
