#!/usr/bin/env bash
# Run every check: set up, lint (ruff), then the whole pytest suite (DuckDB, the real
# PostgreSQL, dbt compile for Athena, Waitress on loopback, headless Chromium).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
