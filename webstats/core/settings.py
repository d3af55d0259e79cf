"""The environment turned into settings, shared by the CLI, the jobs, dbt and the renderer.

Everything has a safe default so that a fresh checkout runs on the embedded DuckDB file;
production overrides with environment variables (never with files in the repository).

Which dbt project a command works with is found the way dbt finds it: `--project-dir`,
else $WEBSTATS_PROJECT_DIR, else the current directory or the nearest parent holding a
`dbt_project.yml` named `webstats`, else the copy shipped with the code (`webstats/_project`
in a wheel; the checkout itself in a source tree). Mutable state (the DuckDB file, dbt's
target/, a manifest rewritten by `webstats manifest update`) goes into the project when it
is the user's, and into $WEBSTATS_HOME when it is the shipped copy inside an installed
package: nothing is ever written into site-packages.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput

#: the source tree's root (a checkout: the dbt project itself; a wheel: site-packages)
SOURCE_ROOT = Path(__file__).resolve().parents[2]
#: where a wheel carries the dbt project (setup.py copies it there at build time)
PACKAGED_COPY = Path(__file__).resolve().parents[1] / "_project"
TARGETS = ("duckdb", "postgres", "athena")
#: the files and folders that make the dbt project (a wheel carries them; a working copy
#: of the packaged project is synced from them)
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "profiles", "tests/dbt")
PROJECT_NAME = "webstats"
_NAME_LINE = re.compile(r"""^name:\s*["']?([A-Za-z_][\w]*)["']?\s*$""", re.MULTILINE)


class SettingsError(BadInput):
    """The environment or the command line names something that is not there (a target,
    a project directory): bad usage, told in one line."""


class ProjectNotFound(SettingsError):
    """A project directory that was asked for holds no dbt project."""


def packaged_project() -> Path:
    """The dbt project shipped with this code: the wheel's copy, else the checkout."""
    return PACKAGED_COPY if (PACKAGED_COPY / "dbt_project.yml").is_file() else SOURCE_ROOT


#: the project shipped with the code (tests and benchmarks build with it)
PROJECT_DIR = packaged_project()


def copy_project(
    dest: Path, source: Path = PROJECT_DIR, parts: Iterable[str] = PROJECT_PARTS
) -> Path:
    """Copy the dbt project's parts (files or folders) from `source` to `dest` (the wheel's
    copy, a user's copy of the project), without compiled Python or dbt's user file."""
    for part in parts:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=_NOT_COPIED, dirs_exist_ok=True)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".user.yml")


def default_home() -> Path:
    """$WEBSTATS_HOME, else $XDG_DATA_HOME/webstats, else ~/.local/share/webstats."""
    if os.environ.get("WEBSTATS_HOME"):
        return Path(os.environ["WEBSTATS_HOME"]).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "webstats"


@dataclass(frozen=True)
class Settings:
    target: str
    duckdb_path: Path
    pg_schema: str
    project_dir: Path
    public_base_url: str
    #: where mutable state goes (default: the project directory itself)
    state_dir: Path | None = None
    #: whether project_dir is the copy inside an installed package (never written to)
    packaged: bool = False
    #: Athena: the DuckDB file its served marts are published to (the site reads it)
    athena_published: Path | None = None
    #: Athena: where CloudFront writes (flat; organized each night when set), the external
    #: table's location (the day folders), and where each night's export is unloaded to
    athena_logs_source: str = ""
    athena_logs_location: str = ""
    athena_export_dir: str = "s3://bioc-webstats-athena/exports/"

    def __post_init__(self) -> None:
        if self.state_dir is None:
            object.__setattr__(self, "state_dir", self.project_dir)

    @property
    def profiles_dir(self) -> Path:
        return self.project_dir / "profiles"

    @property
    def categories_file(self) -> Path:
        """The categories seed (reference data: never rewritten)."""
        return self.project_dir / "seeds" / "categories.csv"

    @property
    def manifest_store(self) -> Path:
        """Where `webstats manifest update` writes the package manifest: the project's seed,
        or a file in the state directory when the project is the packaged copy."""
        if self.packaged:
            return self.state_dir / "packages.csv"
        return self.project_dir / "seeds" / "packages.csv"

    @property
    def manifest_file(self) -> Path:
        """The package manifest in force: the one `manifest update` wrote, else the seed."""
        if self.packaged and not self.manifest_store.exists():
            return self.project_dir / "seeds" / "packages.csv"
        return self.manifest_store

    def describe(self) -> dict[str, str]:
        """Which project, state directory and manifest a command uses (printed by build and
        refresh, so that a run inside a copy of the project says so)."""
        out = {"project": str(self.project_dir), "manifest": str(self.manifest_file)}
        if self.packaged:
            out["project"] += " (packaged copy)"
            out["state"] = str(self.state_dir)
        return out

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess: the profile reads these variables."""
        env = dict(os.environ)
        env["WEBSTATS_TARGET"] = self.target
        env["WEBSTATS_DUCKDB"] = str(self.duckdb_path)
        env["WEBSTATS_PG_SCHEMA"] = self.pg_schema
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        return env


def pg_defaults() -> None:
    """Fill in the PG* variables libpq would otherwise guess from the OS user."""
    os.environ.setdefault("PGHOST", "127.0.0.1")
    os.environ.setdefault("PGPORT", "5432")
    os.environ.setdefault("PGUSER", "postgres")
    os.environ.setdefault("PGDATABASE", "postgres")


def is_webstats_project(path: Path) -> bool:
    """Whether `path` holds this project's dbt_project.yml (not some other dbt project)."""
    try:
        text = (path / "dbt_project.yml").read_text()
    except OSError:
        return False
    match = _NAME_LINE.search(text)
    return match is not None and match.group(1) == PROJECT_NAME


def find_project(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """(project directory, whether it is the packaged copy), in dbt's order of precedence.

    Raises ProjectNotFound when a directory given by option or environment holds no
    dbt_project.yml (a typo must not silently fall back to another project).
    """
    given, origin = explicit, "--project-dir"
    if given is None and os.environ.get("WEBSTATS_PROJECT_DIR"):
        given, origin = os.environ["WEBSTATS_PROJECT_DIR"], "WEBSTATS_PROJECT_DIR"
    if given is not None:
        path = Path(given).expanduser().resolve()
        if not (path / "dbt_project.yml").is_file():
            raise ProjectNotFound(f"{origin} {given}: no dbt_project.yml there")
        return path, path == PACKAGED_COPY
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_webstats_project(folder):
            return folder, folder == PACKAGED_COPY
    shipped = packaged_project()
    return shipped, shipped == PACKAGED_COPY


def settings(target: str | None = None, project_dir: str | None = None) -> Settings:
    """Settings for `target` (default: $WEBSTATS_TARGET, else duckdb) and the project found
    by `find_project`."""
    chosen = target or os.environ.get("WEBSTATS_TARGET") or "duckdb"
    if chosen not in TARGETS:
        raise SettingsError(
            f"WEBSTATS_TARGET {chosen!r} is not a target; choose one of {', '.join(TARGETS)}"
        )
    project, packaged = find_project(project_dir)
    state = default_home().resolve() if packaged else project
    duckdb_path = Path(os.environ.get("WEBSTATS_DUCKDB") or state / "webstats.duckdb")
    pg_defaults()
    return Settings(
        target=chosen,
        duckdb_path=duckdb_path.expanduser().resolve(),
        pg_schema=os.environ.get("WEBSTATS_PG_SCHEMA", "webstats"),
        project_dir=project,
        public_base_url=os.environ.get("WEBSTATS_PUBLIC_BASE_URL", "https://bioconductor.org"),
        state_dir=state,
        packaged=packaged,
        athena_published=Path(
            os.environ.get("WEBSTATS_ATHENA_PUBLISHED") or state / "webstats-athena.duckdb"
        )
        .expanduser()
        .resolve(),
        athena_logs_source=os.environ.get("WEBSTATS_ATHENA_LOGS_SOURCE", ""),
        athena_logs_location=os.environ.get("WEBSTATS_ATHENA_LOGS_LOCATION", ""),
        athena_export_dir=os.environ.get(
            "WEBSTATS_ATHENA_EXPORT_DIR", "s3://bioc-webstats-athena/exports/"
        ),
    )
