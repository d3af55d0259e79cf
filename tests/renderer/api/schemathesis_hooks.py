"""Schemathesis hooks for tests/renderer/api/test_openapi.py (loaded by SCHEMATHESIS_HOOKS).

`positive_data_acceptance` wants a 2xx (or 404) for every request the schema admits. JSON
Schema cannot compare two values: a schema-valid period whose start is after its end, or
that is longer than the endpoint allows, a `second_group_by` equal to `group_by`, and
bioc_version or download_type together with a client dimension (grouping or filter), are
refused with 400 (the document says so in words). This check is the built-in one with
exactly those exceptions: a 400 is accepted only with one of those messages, any other 400
still fails.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

CROSS_FIELD_MESSAGES = (
    "invalid period; the start is after the end",
    "invalid period; it covers at most ",
    "invalid second_group_by; it must differ from group_by",
    "bioc_version and download_type cannot be combined with ",
)


@schemathesis.check
def positive_data_acceptance_but_period_order(ctx, response, case):
    """The built-in positive check, except the documented cross-field refusals."""
    _count_call()
    if response.status_code == 400:
        try:
            message = response.json().get("error", "")
        except ValueError:
            message = ""
        if message.startswith(CROSS_FIELD_MESSAGES):
            return None
    return positive_data_acceptance(ctx, response, case)


_lock = threading.Lock()


def _count_call() -> None:
    """Count the calls in $WEBSTATS_ST_CALLS, so the test knows this check did run."""
    path = os.environ.get("WEBSTATS_ST_CALLS")
    if path:
        with _lock:
            p = Path(path)
            p.write_text(str(int(p.read_text() or 0) + 1))
