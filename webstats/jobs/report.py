"""Step reporting for the scheduler's log: one JSON object per step on stdout.

A failed night can then be read without dbt's full output: each line names its step, its
counts and its seconds, and a failed step says why in its first line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from webstats.core.errors import first_line


def print_json(record: dict) -> None:
    """One JSON line on stdout (the scheduler's log)."""
    print(json.dumps(record, default=str), flush=True)


@contextmanager
def step(name: str, record: dict | None = None) -> Iterator[dict]:
    """Time a step and emit its JSON line; the body fills in counts. Failures are logged too."""
    out = {"step": name} if record is None else {"step": name, **record}
    started = time.monotonic()
    try:
        yield out
    except BaseException as exc:
        out.update(ok=False, error=first_line(exc), seconds=round(time.monotonic() - started, 3))
        print_json(out)
        raise
    out.setdefault("ok", True)
    out["seconds"] = round(time.monotonic() - started, 3)
    print_json(out)
