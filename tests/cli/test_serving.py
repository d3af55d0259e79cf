"""Building while the site is served, on DuckDB: `webstats load`, `webstats build` and a
plain `dbt build` run against the warehouse `webstats serve` serves; the site picks up each
new build without a restart and never fails a request meanwhile (polled every 50 ms)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from webstats.jobs.dbt import run_dbt

POLL = 0.05
PATHS = (
    "/packages/stats/index.html",
    "/packages/stats/bioc/bioc_stats.tab",
    "/api/get_data?model=downloads&group_by=category",
    "/api/get_daily_downloads?date=2023-01-15",
)


class Poller(threading.Thread):
    """GETs the site every 50 ms; keeps each answer's status and Last-Modified."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base = base
        self.seen: list[tuple[str, int, str | None]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            path = PATHS[n % len(PATHS)]
            n += 1
            try:
                with urllib.request.urlopen(self.base + path, timeout=30) as resp:
                    self.seen.append((path, resp.status, resp.headers["Last-Modified"]))
            except urllib.error.HTTPError as err:
                self.seen.append((path, err.code, None))
            except OSError as err:  # refused, reset: as bad as a 5xx
                self.seen.append((path, 0, str(err)))
            time.sleep(POLL)

    def as_of(self) -> str | None:
        return self.seen[-1][2] if self.seen else None


def _wait_for(condition, what: str, seconds: float = 120) -> None:
    """Wait until `condition()` holds (a generous deadline, not a timing assert)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(POLL)


def test_builds_while_serving_lose_no_request(new_warehouse, legacy, tmp_path):
    w = new_warehouse("duckdb").with_manifest(legacy.manifest)
    logs = legacy.log_dir(tmp_path / "logs", "2023-01")
    w.refresh(logs)
    server = w.start_cli("serve", "--port", "0", "--threads", "4")
    poller = None
    try:
        line = server.stdout.readline()
        assert "Serving the download stats at http://" in line, line + server.stderr.read()
        base = line.split(" at ", 1)[1].split("/packages/")[0]
        poller = Poller(base)
        poller.start()
        _wait_for(lambda: len(poller.seen) >= len(PATHS), "the first answers")
        stamps = [poller.as_of()]
        for month, how in (("2023-02", "webstats"), ("2023-03", "dbt"), ("2023-04", "webstats")):
            legacy.log_dir(logs, month)
            loaded = w.cli("load", str(logs))  # the raw tables, while the site reads
            assert loaded.returncode == 0, loaded.stderr
            if how == "dbt":  # an analyst's plain dbt build publishes too
                run_dbt(w.settings, ["build"], legacy.dbt_vars)
            else:
                built = w.cli("build", "--var", "bioc_release=3.18", "--var", "bioc_devel=3.19")
                assert built.returncode == 0, built.stdout + built.stderr
            _wait_for(lambda: poller.as_of() not in stamps, f"the build of {month} served")
            stamps.append(poller.as_of())
    finally:
        if poller is not None:
            poller.stop.set()
            poller.join(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    bad = [s for s in poller.seen if s[1] != 200]
    assert bad == [] and len(poller.seen) > 3 * len(PATHS)
    assert len(set(stamps)) == 4 and None not in stamps
