"""Fixtures of the model tests: the project compiled for Athena, offline.

`dbt compile --target athena` needs no AWS access with `--no-populate-cache
--no-introspect`; the `offline_compile` var renders either branch of the incremental models
(macros/athena/is_incremental.sql), and the incremental rendering is given the partition
window the nightly job would compute (macros/athena/partition_window.sql), so the test of
the Athena SQL can run it. Each rendering is compiled once per test run: the first worker
to need it compiles under a lock into the run's shared temporary root, the others reuse it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from webstats.core.settings import PROJECT_DIR
from webstats.jobs.dbt import dbt_command

#: the legacy logs' last three delivery days: the incremental sequence adds them one by one
NEW_DAYS = ("2024-02-08", "2024-02-09", "2024-02-10")
#: the window the nightly job would compute before the first of them: from the newest day
#: of the previous build, through the last settled day
WINDOW = {"athena_since": "2024-02-07", "athena_through": NEW_DAYS[-1]}
#: the release and devel the legacy examples were generated for (tests/conftest.py: VERSIONS)
VERSIONS = {"bioc_release": "3.18", "bioc_devel": "3.19"}
MODES = {
    "full": {"offline_compile": "full", **VERSIONS},
    "incremental": {"offline_compile": "incremental", **VERSIONS, **WINDOW},
}


@dataclass(frozen=True)
class AthenaCompiled:
    """One offline Athena compile: its target directory (compiled SQL and manifest)."""

    mode: str
    target: Path

    @property
    def manifest(self) -> dict:
        return json.loads((self.target / "manifest.json").read_text())

    def sql(self, node: dict) -> str:
        return (self.target / "compiled" / "webstats" / node["original_file_path"]).read_text()

    def models(self) -> dict[str, str]:
        """Model name -> compiled SQL."""
        nodes = self.manifest["nodes"].values()
        return {n["name"]: self.sql(n) for n in nodes if n["resource_type"] == "model"}


def _compile(root: Path, mode: str) -> Path:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_EC2_METADATA_DISABLED="true",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    target = root / f"target-{mode}"
    proc = subprocess.run(
        [
            *dbt_command(),
            "compile",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR / "profiles"),
            "--target",
            "athena",
            "--target-path",
            str(target),
            "--log-path",
            str(root / f"logs-{mode}"),
            "--no-populate-cache",
            "--no-introspect",
            "--vars",
            json.dumps(MODES[mode]),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return target


@pytest.fixture(scope="session")
def athena_new_days() -> tuple[str, ...]:
    """The delivery days the incremental rendering's window was compiled for, oldest first."""
    return NEW_DAYS


@pytest.fixture(scope="session")
def athena_compiled(tmp_path_factory) -> Callable[[str], AthenaCompiled]:
    """`athena_compiled("full" | "incremental")`: the project compiled for Athena."""
    # this run's temporary root: under xdist the parent of the workers' own directories
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "athena-compile"
    root.mkdir(exist_ok=True)

    def get(mode: str) -> AthenaCompiled:
        done = root / f"{mode}.done"
        with open(root / f"{mode}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                _compile(root, mode)
                done.touch()
        return AthenaCompiled(mode, root / f"target-{mode}")

    return get


@dataclass(frozen=True)
class CloudFrontDDL:
    """The statements macros/athena/create_cloudfront_table.sql runs, rendered."""

    table: str
    view: str


@pytest.fixture(scope="session")
def cloudfront_ddl() -> Callable[..., CloudFrontDDL]:
    """`cloudfront_ddl(location, distribution=None)`: the external table and the
    raw_requests view for schema `webstats`, rendered by Jinja from the macro file itself
    (its DDL macros use nothing of dbt's, so no warehouse is needed)."""
    import jinja2

    text = (PROJECT_DIR / "macros" / "athena" / "create_cloudfront_table.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)

    def render(location: str, distribution: str | None = None) -> CloudFrontDDL:
        call = (
            "{{ cloudfront_logs_ddl('webstats', location, '2013-01-01', distribution) }}"
            "\x00{{ raw_requests_view_ddl('webstats') }}"
        )
        out = env.from_string(text + call).render(location=location, distribution=distribution)
        table, view = out.split("\x00")
        return CloudFrontDDL(table.strip(), view.strip())

    return render
