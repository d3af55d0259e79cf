#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone: set up, generate demo CloudFront
# logs, load them and dbt-build them into DuckDB (webstats.duckdb), then serve the site on
# http://127.0.0.1:8080/packages/stats/ (Ctrl-C stops it). Extra arguments go to
# `webstats demo` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/webstats demo --serve "$@"
