"""Fixtures for the daily-job tests: a reference warehouse built in one go from the logs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
_ROOT = str(Path(__file__).resolve().parents[2])
for p in (_HERE, _ROOT):  # opshelp; and the real `renderer` before tests/renderer
    if p not in sys.path[:2]:
        sys.path.insert(0, p)
if getattr(sys.modules.get("renderer"), "__file__", "x") is None:
    del sys.modules["renderer"]

from opshelp import LOGS, MANIFEST, log_dir, marts  # noqa: E402
from wstest import LEGACY_VARS, build_warehouse, make_settings  # noqa: E402


@pytest.fixture(scope="session")
def reference_2023(tmp_path_factory) -> dict:
    """Marts of a plain load + build of all 2023 logs (what every incremental path must give)."""
    tmp = tmp_path_factory.mktemp("reference")
    settings, _ = build_warehouse(
        make_settings("duckdb", tmp), [log_dir(tmp / "logs", "2023-")], MANIFEST, LEGACY_VARS
    )
    return marts(settings)


@pytest.fixture(scope="session")
def all_logs() -> Path:
    return LOGS
