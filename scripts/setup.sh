#!/usr/bin/env bash
# Install everything bioc-webstats needs on a fresh Debian machine: a virtualenv with the
# project and its test tools, Debian's chromium (browser tests) and wrk (benchmarks), and a
# running PostgreSQL when one is installed. Idempotent: re-running changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_debs=()
command -v chromium >/dev/null 2>&1 || want_debs+=(chromium)
command -v wrk >/dev/null 2>&1 || want_debs+=(wrk)
if [ "${WEBSTATS_SKIP_APT:-}" != "1" ] && [ ${#want_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want_debs[@]}" >/dev/null
  else
    echo "note: install ${want_debs[*]} (Debian) for the browser test and benchmarks" >&2
  fi
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -q; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -n | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -h "${PGHOST:-127.0.0.1}" -q && break; sleep 1; done
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c "import webstats, renderer, dbt.version" >/dev/null
