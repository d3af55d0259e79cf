"""The product as Bioconductor distributes it: `python -m build` makes a wheel that carries
the package, the dbt project and the renderer's templates; installed into a fresh virtual
environment, `webstats demo --serve` run from an empty directory serves the site, keeps its
state in $WEBSTATS_HOME and writes nothing into site-packages.

The wheel is installed by pip (`--no-deps`); its dependencies are the suite's own installed
distributions, exactly those its metadata requires (transitively, with extras and markers),
linked into a directory the venv's site-packages names in a `.pth` file: only what the wheel
declares is importable (a missing declaration fails the demo, as a real install would), and
`pip check` in the venv checks every declared requirement is met. Downloading and unpacking
some ninety distributions again (most of this test's time before) proves nothing more.

Slow (a build, a virtual environment, a demo): one test, marked `wheel`; the suite runs it
(`-m "not wheel"` leaves it out locally).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from webstats.core.settings import PROJECT_DIR, PROJECT_PARTS, copy_project

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "webstats", "renderer")


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kw)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _source_copy(dest: Path) -> Path:
    """The files a wheel is built from (a copy: building writes egg-info beside them)."""
    return copy_project(dest, PROJECT_DIR, (*SOURCES, *PROJECT_PARTS))


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _required(dist: md.Distribution, extras: tuple[str, ...] = ()) -> list[Requirement]:
    """What `dist` requires, with `extras` requested, on this Python."""
    out = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            out.append(req)
    return out


def _closure(wheel_dist: md.Distribution) -> list[md.Distribution]:
    """The suite's installed distributions that `wheel_dist` requires, transitively."""
    installed = {canonicalize_name(d.metadata["Name"]): d for d in md.distributions()}
    todo, seen, found = _required(wheel_dist), set(), {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        dist = installed[name]  # KeyError: the suite lacks a dependency the wheel declares
        assert req.specifier.contains(dist.version, prereleases=True), (req, dist.version)
        found[name] = dist
        todo += _required(dist, tuple(req.extras))
    return list(found.values())


def _link_dependencies(wheel_dist: md.Distribution, dest: Path) -> Path:
    """A directory of symlinks to the files of the wheel's dependencies (see the module
    docstring): a top-level entry whole where only those distributions own it, else file by
    file (namespace packages such as `dbt`, shared with distributions not required)."""
    needed = _closure(wheel_dist)
    owners: dict[str, set[str]] = {}
    for dist in md.distributions():
        for f in dist.files or []:
            owners.setdefault(f.parts[0], set()).add(canonicalize_name(dist.metadata["Name"]))
    names = {canonicalize_name(d.metadata["Name"]) for d in needed}
    for dist in needed:
        for f in dist.files:
            top, src = f.parts[0], Path(dist.locate_file(f))
            if top == ".." or not src.exists():
                continue  # scripts in bin/, .pyc files never written
            whole = owners[top] <= names
            link = dest / (top if whole else f)
            if not link.exists() and not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(Path(dist.locate_file(top)) if whole else src)
    return dest


@pytest.mark.wheel
def test_the_wheel_serves_the_demo_from_an_empty_directory(tmp_path):
    src = _source_copy(tmp_path / "src")
    _run(sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(src))
    (wheel,) = (tmp_path / "dist").glob("*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", str(venv))  # fresh: no system or suite packages
    pip = (str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "install", "-q", "--no-deps", str(wheel))
    site = next((venv / "lib").glob("python3*/site-packages"))
    (wheel_dist,) = md.distributions(name="bioc-webstats", path=[str(site)])
    deps = _link_dependencies(wheel_dist, tmp_path / "deps")
    (site / "suite_dependencies.pth").write_text(f"{deps}\n")
    _run(*pip, "check")  # every requirement of the wheel (and theirs) is met
    shipped = site / "webstats" / "_project"
    assert (shipped / "dbt_project.yml").is_file()
    assert (shipped / "models" / "audit" / "site_publication.py").is_file()
    assert (site / "renderer" / "templates" / "index.html").is_file()
    assert (site / "renderer" / "static" / "main.css").is_file()
    before = _digest(site / "webstats")

    empty, home = tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBSTATS_", "PYTHON"))}
    env.update(WEBSTATS_HOME=str(home), HOME=str(tmp_path / "user"))
    demo = subprocess.Popen(
        [str(venv / "bin" / "webstats"), "demo", "--serve", "--days", "2", "--port", "0"],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in demo.stdout:
            if line.startswith("Serving the download stats at "):
                break
        else:
            pytest.fail(f"the demo did not serve: {demo.stderr.read()}")
        base = line.split(" at ", 1)[1].split("/packages/")[0]
        with urllib.request.urlopen(base + "/packages/stats/index.html", timeout=60) as page:
            assert page.status == 200
            assert b"Download stats for Bioconductor software packages" in page.read()
        api = base + "/api/get_daily_downloads?date=2025-11-30"
        with urllib.request.urlopen(api, timeout=60) as answer:
            assert answer.status == 200 and len(answer.read()) > 100
    finally:
        demo.terminate()
        demo.wait(timeout=60)
        demo.stdout.close()
        demo.stderr.close()

    assert list(empty.iterdir()) == []  # the empty directory stays empty
    assert (home / "webstats.duckdb").is_file() and (home / "webstats.site.duckdb").is_file()
    assert (home / "project" / "dbt_project.yml").is_file()  # dbt's working copy
    assert _digest(site / "webstats") == before  # nothing written into site-packages
