#!/usr/bin/env bash
# Run every check: set up, lint (ruff, sqlfluff), then the whole pytest suite (DuckDB, the
# real PostgreSQL, dbt compile for Athena, Waitress on loopback, headless Chromium), in
# parallel (pytest-xdist; WEBSTATS_TEST_WORKERS, default 3: dbt runs wait on PostgreSQL and
# subprocesses, so one more worker than cores keeps both cores busy; tests sharing an
# expensive fixture run on one worker, see tests/conftest.py). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
# SQL style of the dbt models and singular tests (.sqlfluff: dbt templater, no warehouse);
# dbt templates every file in the main process, two processes parse and lint them
.venv/bin/sqlfluff lint --processes 2 models tests/dbt
# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE):
# every pytest worker, dbt child and CLI process would otherwise compile the project's
# modules and redo pytest's assertion rewriting (collecting tests/core: 1.7 -> 0.7 CPU s)
unset PYTHONDONTWRITEBYTECODE
exec .venv/bin/pytest -n "${WEBSTATS_TEST_WORKERS:-3}" --dist loadgroup "$@"
