"""Run inside a copy of the project, `webstats` uses that copy: its manifest decides what
counts, its directory holds the warehouse and dbt's state, and the build says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from webstats.core.settings import copy_project

EXECUTABLE = Path(sys.executable).with_name("webstats")
DROPPED = "ACME"  # in the legacy logs, left out of the copy's manifest


def _copy_project(dest: Path, manifest: str) -> Path:
    copy_project(dest)
    (dest / "seeds" / "packages.csv").write_text(manifest)
    return dest


def test_inside_a_project_copy_its_manifest_decides(tmp_path, legacy):
    lines = legacy.manifest.read_text().splitlines(keepends=True)
    copy = _copy_project(tmp_path / "copy", "".join(x for x in lines if x.split(",")[0] != DROPPED))
    logs = legacy.log_dir(tmp_path / "logs", "2023-01", "2023-02")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBSTATS_")}
    env["WEBSTATS_DBT_COMMAND"] = os.environ["WEBSTATS_DBT_COMMAND"]  # the suite's launcher
    env["WEBSTATS_HOME"] = str(tmp_path / "home")  # must stay unused: the project is mine
    proc = subprocess.run(
        [str(EXECUTABLE), "refresh", "--logs", str(logs), *legacy.version_args],
        cwd=copy / "models",  # anywhere inside the copy
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = next(r for r in map(json.loads, proc.stdout.splitlines()) if r["step"] == "build")
    assert build["project"] == str(copy)
    assert build["manifest"] == str(copy / "seeds" / "packages.csv")
    assert (copy / "webstats.duckdb").exists() and (copy / "webstats.site.duckdb").exists()
    assert (copy / "target" / "webstats").is_dir() and not (tmp_path / "home").exists()

    with duckdb.connect(str(copy / "webstats.site.duckdb"), read_only=True) as con:
        counted = {r[0] for r in con.execute("select distinct package from stats").fetchall()}
    with duckdb.connect(str(copy / "webstats.duckdb"), read_only=True) as con:
        (dropped,) = con.execute(
            "select count(*) from int_package_requests where package = ? and not in_manifest",
            [DROPPED],
        ).fetchone()
    listed = {x.split(",")[0] for x in lines[1:]} - {DROPPED}
    assert counted and counted <= listed
    assert dropped > 0  # requested, and not counted: the copy's manifest decided
