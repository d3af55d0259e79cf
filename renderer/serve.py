"""`webstats serve`: the Flask app under Waitress.

Waitress is a pure-Python, multi-threaded WSGI server: no worker processes, so the per-build
caches (rendered pages, charts) are shared by all threads and memory stays bounded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import sys

from waitress.server import create_server

from renderer.app import create_app, warm_up
from webstats.core.settings import Settings


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas (best effort, glibc only).

    Each Waitress thread would otherwise get its own arena that keeps freed memory (the
    rendered pages, the 7 MB .tab files in flight); capping them cut the server's resident
    memory under load by about 40 MB in bench/bench_renderer.py.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 8080, threads: int = 8):
    """A Waitress server bound to host:port (port 0 = any free port); call `.run()` on it."""
    limit_malloc_arenas()
    # A thread computing a large API answer holds the GIL in 5 ms slices by default; page
    # views waiting for it then take tens of ms. 1 ms slices keep them short
    # (bench/bench_hostile.py, docs/benchmarks.md).
    sys.setswitchinterval(0.001)
    app = create_app(settings)
    warm_up(app)
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="bioc-webstats",
        # Answer requests with huge names with a 4xx from Waitress itself, not a big buffer.
        max_request_header_size=64 * 1024,
        clear_untrusted_proxy_headers=True,
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> None:
    """Serve until interrupted; prints the address of the legacy site."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    server = make_server(settings, host, port, threads)
    # Stop on SIGTERM (systemd, docker) like on Ctrl-C, so that exit handlers run (the
    # per-build spool directories under $TMPDIR are removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    where = f"http://{host}:{server.effective_port}"
    print(f"Serving the download stats at {where}/packages/stats/ (API: {where}/api/)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
