"""HTTP behaviour through a real Waitress server on loopback (DuckDB and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from renderer import http
from renderer.legacy import blueprint
from renderer.legacy import site as site_module
from renderer.legacy.site import site
from renderer.legacy.spool import Spool
from renderer.snapshot import Snapshots
from webstats.core import warehouse as wh

LAST_MODIFIED = "Tue, 05 Mar 2024 00:00:00 GMT"
PAGES = [
    ("", "text/html; charset=utf-8"),
    ("bioc/", "text/html; charset=utf-8"),
    ("bioc/alpha.pkg/", "text/html; charset=utf-8"),
    ("bioc/alpha.pkg.html", "text/html; charset=utf-8"),
    ("bioc/alpha.pkg/alpha.pkg_stats.tab", "text/plain; charset=utf-8"),
    ("bioc/bioc_packages.txt", "text/plain; charset=utf-8"),
    ("bioc/alpha.pkg/alpha.pkg_2023_stats.png", "image/png"),
    ("main.css", "text/css; charset=utf-8"),
]


def raw_request(port: int, target: bytes, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send exactly these request-target bytes (no client-side normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize(("path", "ctype"), PAGES)
def test_get_headers(live_server, path, ctype, fetch):
    status, headers, body = fetch(live_server.url("/packages/stats/" + path))
    assert status == 200
    assert headers["Content-Type"] == ctype
    assert headers["Last-Modified"] == LAST_MODIFIED
    assert headers["ETag"].startswith('"') and len(headers["ETag"]) > 10
    assert int(headers["Content-Length"]) == len(body) > 0


def test_etags_differ_by_path(live_server, fetch):
    tags = {fetch(live_server.url("/packages/stats/" + p))[1]["ETag"] for p, _ in PAGES}
    assert len(tags) == len(PAGES)


def test_conditional_get(live_server, fetch):
    url = live_server.url("/packages/stats/bioc/alpha.pkg/")
    _, headers, _ = fetch(url)
    etag = headers["ETag"]
    status, h304, body = fetch(url, headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    # RFC 9110 15.4.5: a 304 repeats the validator and caching headers (ETag, Cache-Control).
    assert h304["ETag"] == etag and h304["Cache-Control"]
    assert fetch(url, headers={"If-None-Match": f'"other", {etag}'})[0] == 304
    assert fetch(url, headers={"If-None-Match": "*"})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": LAST_MODIFIED})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Wed, 06 Mar 2024 10:00:00 GMT"})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Mon, 04 Mar 2024 23:59:59 GMT"})[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    both = {"If-None-Match": '"stale"', "If-Modified-Since": LAST_MODIFIED}
    assert fetch(url, headers=both)[0] == 200
    assert fetch(url, headers={"If-Modified-Since": "not a date"})[0] == 200


def test_head(live_server, fetch):
    for path, ctype in PAGES:
        url = live_server.url("/packages/stats/" + path)
        _, get_headers, get_body = fetch(url)
        status, headers, body = fetch(url, method="HEAD")
        assert (status, body) == (200, b"")
        assert headers["Content-Type"] == ctype
        assert int(headers["Content-Length"]) == len(get_body)
        assert headers["ETag"] == get_headers["ETag"]
        assert headers["Last-Modified"] == LAST_MODIFIED


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(live_server, method, fetch):
    for path in ("", "bioc/alpha.pkg/", "nothere"):
        status, headers, body = fetch(live_server.url("/packages/stats/" + path), method=method)
        assert status == 405
        assert "GET" in headers["Allow"] and "HEAD" in headers["Allow"]
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"405" in body and len(body) < 2000


def test_redirects_to_directories(live_server, fetch):
    status, headers, _ = fetch(live_server.url("/packages/stats/bioc"))
    assert status == 301 and headers["Location"].endswith("/packages/stats/bioc/")
    status, headers, _ = fetch(live_server.url("/packages/stats/bioc/alpha.pkg"))
    assert status == 301 and headers["Location"].endswith("/packages/stats/bioc/alpha.pkg/")
    status, headers, _ = fetch(live_server.url("/packages/stats"))
    assert status in (301, 308) and headers["Location"].endswith("/packages/stats/")


ODD_TARGETS = [
    b"/packages/stats/../../../../etc/passwd",
    b"/packages/stats/bioc/../../../etc/passwd",
    b"/packages/stats/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    b"/packages/stats/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    b"/packages/stats/bioc/..%2f..%2f..%2fetc%2fpasswd",
    b"/packages/stats/bioc/%00",
    b"/packages/stats/bioc/alpha.pkg%00/",
    b"/packages/stats/bioc/alpha.pkg/alpha.pkg_2023_stats.tab%00.png",
    b"/packages/stats/bioc/" + b"a" * 10_000 + b"/",
    b"/packages/stats/bioc/" + b"a" * 10_000 + b".html",
    b"/packages/stats/bioc/%ff%fe/",
    b"/packages/stats/bioc/%c0%ae%c0%ae/",
    b"/packages/stats/..\\..\\etc\\passwd",
    b"/packages/stats/main.css/..",
    b"/packages/stats/./bioc/nothere/",
    b"/packages/stats/bioc/alpha.pkg/..%2falpha.pkg.html/",
    b"/packages/stats/%2fetc%2fpasswd",
    b"/packages/stats/static/main.css",
    b"/packages/stats/templates/index.html",
    b"/packages/stats/bioc/alpha.pkg/index.html/",
    b"/packages/stats/bioc/bioc_%32%30%32%33_stats.tab/x",
]


@pytest.mark.parametrize("target", ODD_TARGETS, ids=lambda t: t[:60].decode("latin-1"))
def test_odd_names_are_404(live_server, target):
    port = int(live_server.base.rsplit(":", 1)[1])
    status, data = raw_request(port, target)
    assert status == 404, data[:300]
    assert b"root:" not in data and b"Traceback" not in data
    assert b"text/html; charset=utf-8" in data


def test_raw_non_ascii_bytes_are_a_bad_request(live_server):
    """Unencoded bytes >= 0x80 are not a valid request-target (RFC 3986): Waitress answers
    400 itself, before the application; percent-encoded invalid UTF-8 is a 404 (above)."""
    port = int(live_server.base.rsplit(":", 1)[1])
    status, data = raw_request(port, b"/packages/stats/bioc/\xff\xfe.html")
    assert status == 400 and b"Traceback" not in data


def test_unknown_paths_outside_the_site_are_404(live_server, fetch):
    status, headers, body = fetch(live_server.url("/nothing/here"))
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert fetch(live_server.url("/static/main.css"))[0] == 404


def test_warehouse_missing_is_503(handmade_settings, tmp_path, fetch, serve):
    if handmade_settings.target == "duckdb":
        broken = dataclasses.replace(handmade_settings, duckdb_path=tmp_path / "none.duckdb")
    else:
        broken = dataclasses.replace(handmade_settings, pg_schema="no_such_schema_here")
    with serve(broken) as server:
        for path in ("/packages/stats/", "/packages/stats/bioc/alpha.pkg/"):
            status, headers, body = fetch(server.url(path))
            assert status == 503
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"Traceback" not in body and b"duckdb" not in body.lower()
            assert len(body) < 2000


def swap_build(marts_writer, settings, built_at: dt.datetime, extra_downloads: int) -> None:
    """A new build as the pipeline publishes it: a new site file renamed over the one the
    server reads (DuckDB), or the Postgres tables rewritten in place."""
    marts = marts_writer.handmade()
    marts.built_at = built_at
    marts.stats = [
        (c, p, d, m, ip, dl + (extra_downloads if p == "alpha.pkg" and d.year == 2024 else 0))
        for c, p, d, m, ip, dl in marts.stats
    ]
    if settings.target == "duckdb":
        tmp = dataclasses.replace(settings, duckdb_path=settings.duckdb_path.with_name("next"))
        marts_writer.write(tmp, marts)
        os.replace(wh.served_path(tmp), wh.served_path(settings))
    else:
        marts_writer.write(settings, marts)


def wait_for(predicate, attempts: int = 100) -> bool:
    """Poll (a build is noticed within about a second on Postgres); not a timing assert."""
    for _ in range(attempts):
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_new_build_is_picked_up_without_restart(live_server, fetch, marts):
    url = live_server.url("/packages/stats/bioc/alpha.pkg/alpha.pkg_2024_stats.tab")
    _, h1, body1 = fetch(url)
    assert b"2024\tJan\t1\t10\n" in body1
    swap_build(marts, live_server.settings, dt.datetime(2024, 3, 6, 1, 2, 3), extra_downloads=5)
    assert wait_for(lambda: b"2024\tJan\t1\t15\n" in fetch(url)[2])
    _, h2, _ = fetch(url)
    assert h2["ETag"] != h1["ETag"]
    # The old validator no longer matches: the client gets the new bytes.
    assert fetch(url, headers={"If-None-Match": h1["ETag"]})[0] == 200
    page = fetch(live_server.url("/packages/stats/bioc/alpha.pkg/"))[2]
    assert b"generated on 2024-03-06 01:02:03 -0000 (Wed, 06 Mar 2024)" in page


def test_pages_are_cached_for_the_build(new_warehouse, marts, serve, fetch):
    """Same build stamp, changed rows: the server keeps answering from its per-build cache.

    PostgreSQL only: a DuckDB build arrives as a new file, which is a new snapshot anyway.
    """
    settings = new_warehouse("postgres").settings
    marts.write(settings, marts.handmade())
    with serve(settings) as live_server:
        url = live_server.url("/packages/stats/bioc/alpha.pkg/")
        before = fetch(url)[2]
        engine = marts.engine(live_server.settings)
        with engine.begin() as conn:
            conn.execute(sa.text("update stats set download_count = download_count + 100"))
        engine.dispose()
        assert fetch(url)[2] == before


@pytest.mark.parametrize("large", [False, True], ids=["in-memory", "file-wrapper"])
def test_cached_fast_path_answers_like_flask(live_server, monkeypatch, large, fetch):
    """The first request renders through Flask, the next is a per-build cache hit answered
    by the WSGI fast path: same status, headers (but Date) and bytes, GET and HEAD alike."""
    if large:  # every body goes through Waitress's file wrapper
        monkeypatch.setattr(http, "LARGE_BODY", 10)
    for path, _ in PAGES:
        url = live_server.url("/packages/stats/" + path)
        answers = [fetch(url), fetch(url), fetch(url, method="HEAD")]
        (s1, h1, b1), (s2, h2, b2), (s3, h3, b3) = answers
        assert s1 == s2 == s3 == 200
        assert b1 == b2 and b3 == b""
        for h in (h2, h3):
            assert sorted((k, v) for k, v in h.items() if k != "Date") == sorted(
                (k, v) for k, v in h1.items() if k != "Date"
            ), path


NOT_FOUND = ["bioc/NoSuchPackage/", "bioc/alpha.pkg/alpha.pkg_1999_stats.png", "nothing"]


def test_fast_path_404_answers_like_flask(live_server, fetch):
    """The legacy site's 404 is Flask's the first time, the fast path's replay afterwards:
    the same status, headers (but Date) and bytes for every missing path, GET and HEAD;
    the other blueprints under /packages/stats/ still answer for their own paths."""
    answers = []
    for path in NOT_FOUND:
        url = live_server.url("/packages/stats/" + path)
        answers += [fetch(url), fetch(url), fetch(url, method="HEAD")]
    first_status, first_headers, first_body = answers[0]
    assert first_status == 404 and first_body and b"Traceback" not in first_body
    for status, headers, body in answers:
        assert status == 404
        assert body in (first_body, b"")
        assert sorted((k, v) for k, v in headers.items() if k != "Date") == sorted(
            (k, v) for k, v in first_headers.items() if k != "Date"
        )
    assert fetch(live_server.url("/packages/stats/dumps/README.txt"))[0] == 200
    assert fetch(live_server.url("/packages/stats/dashboard/"))[0] == 200


def _same_answer(a, b) -> bool:
    (s1, h1, b1), (s2, h2, b2) = a, b
    return (s1, b1) == (s2, b2) and sorted((k, v) for k, v in h1.items() if k != "Date") == sorted(
        (k, v) for k, v in h2.items() if k != "Date"
    )


def test_fast_path_memo_outlives_no_body(handmade_settings, serve, fetch, monkeypatch):
    """The fast path remembers each path's file per build, but the bodies stay in the site's
    bounded LRU: with room for one page only, every page is rendered again after another
    evicted it, and each answer (memo hit with the body gone, or not) is Flask's first one."""
    with serve(handmade_settings) as server:
        first = {path: fetch(server.url("/packages/stats/" + path)) for path, _ in PAGES}
    room = max(len(body) for _, _, body in first.values())
    monkeypatch.setattr(site_module, "BODY_CACHE_BYTES", room)
    with serve(handmade_settings) as server:
        for _ in range(3):
            for path, _ in PAGES:
                url = server.url("/packages/stats/" + path)
                for answer in (fetch(url), fetch(url)):
                    assert _same_answer(answer, first[path]), path
                head = fetch(url, method="HEAD")
                assert head[0] == 200 and head[2] == b""
                assert head[1]["Content-Length"] == str(len(first[path][2])), path


def test_fast_path_missing_memo_is_bounded(live_server, fetch, monkeypatch):
    """Missing paths are remembered up to MEMO_MISSING per build (requests for arbitrary
    paths must not grow the memory); past it they are resolved each time, same 404."""
    monkeypatch.setattr(blueprint, "MEMO_MISSING", 2)
    answers = [
        fetch(live_server.url(f"/packages/stats/bioc/NoSuchPackage{i}/"))
        for _ in range(2)
        for i in range(5)
    ]
    assert answers[0][0] == 404
    for answer in answers:
        assert _same_answer(answer, answers[0])


def test_all_packages_table_is_spooled_to_a_file(live_server, fetch):
    """`<pre>_pkg_stats.tab` is written once per build to a temp file and streamed from it:
    Flask's first answer and the fast path's later ones agree (GET, HEAD, 304)."""
    url = live_server.url("/packages/stats/bioc/bioc_pkg_stats.tab")
    (s1, h1, b1), (s2, h2, b2), (s3, h3, b3) = [fetch(url), fetch(url), fetch(url, method="HEAD")]
    assert s1 == s2 == s3 == 200
    assert b1 == b2 and b1.startswith(b"Package\tYear\t") and b3 == b""
    assert int(h1["Content-Length"]) == len(b1)
    for h in (h2, h3):
        assert sorted((k, v) for k, v in h.items() if k != "Date") == sorted(
            (k, v) for k, v in h1.items() if k != "Date"
        )
    status, h304, body = fetch(url, headers={"If-None-Match": h1["ETag"]})
    assert (status, body) == (304, b"") and h304["ETag"] == h1["ETag"]


def test_spool_writes_once_and_is_removed(tmp_path):
    calls = []
    started = threading.Barrier(8)

    def write(f):
        calls.append(1)
        for i in range(1000):
            f.write(b"%d\n" % i)

    spool = Spool("2024-03-05T04:30:15")
    results = []

    def reader():
        started.wait()
        f, size = spool.open("bioc/bioc_pkg_stats.tab", write)
        with f:
            results.append((f.read(), size))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    expected = b"".join(b"%d\n" % i for i in range(1000))
    assert results == [(expected, len(expected))] * 8
    folder = spool._dir
    assert [p.name for p in folder.iterdir()] == ["bioc__bioc_pkg_stats.tab"]
    spool.close()
    assert not folder.exists()
    # A retired build still answers (from an anonymous temporary file).
    f, size = spool.open("bioc/bioc_pkg_stats.tab", write)
    with f:
        assert (f.read(), size) == (expected, len(expected))


def test_new_build_removes_the_old_spool(handmade_settings):
    snap = Snapshots(handmade_settings).snapshot()
    try:
        s = site(snap, handmade_settings)
        target = s.resolve("bioc/bioc_pkg_stats.tab")
        f, _ = s.open(target)
        f.close()
        folder = s.spool._dir
        assert folder.is_dir()
        snap.retire()  # what Snapshots.snapshot() does when a newer build arrives
        assert not folder.exists()
    finally:
        snap.engine.dispose()
