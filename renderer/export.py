"""`webstats export DIR`: the whole legacy site as files, the same bytes as served.

It walks `Site.paths()` and writes `Site.body()` of each, the very code the HTTP view runs,
so a static copy published by any web server is identical to the live site. Directory pages
are written as `index.html`, as the old generator published them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

from renderer.legacy.site import Redirect, Site
from renderer.snapshot import Snapshots
from webstats.core.settings import Settings


def _write(out: Path, rel: str, body: bytes | BinaryIO) -> None:
    """Write atomically (temp file + rename) so a web server never serves half a file.
    `body` is the bytes, or an open file (a spooled target) copied a block at a time."""
    dest = out / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    if isinstance(body, bytes):
        tmp.write_bytes(body)
    else:
        with body, open(tmp, "wb") as f:
            shutil.copyfileobj(body, f)
    os.replace(tmp, dest)


def export_site(settings: Settings, out_dir: str | os.PathLike[str]) -> int:
    """Write every file of the site under `out_dir`; returns the number of files written."""
    out = Path(out_dir)
    snap = Snapshots(settings).snapshot()  # first: no build to show creates no directory
    out.mkdir(parents=True, exist_ok=True)
    # A private Site, not the per-build shared one: exporting renders every file once, and
    # there is no point keeping them all in a cache afterwards.
    site = Site(snap, settings)
    count = 0
    try:
        for rel in site.paths():
            target = site.resolve(rel)
            if target is None or isinstance(target, Redirect):
                raise RuntimeError(f"export enumerated a path the site does not serve: {rel}")
            _write(out, rel, site.open(target)[0] if target.write else target.make())
            count += 1
    finally:
        site.close()
        snap.engine.dispose()
    return count
