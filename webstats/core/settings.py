"""The environment turned into settings, shared by the CLI, the jobs, dbt and the renderer.

Everything has a safe default so that a fresh checkout runs on the embedded DuckDB file;
production overrides with environment variables (never with files in the repository).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
TARGETS = ("duckdb", "postgres", "athena")


@dataclass(frozen=True)
class Settings:
    target: str
    duckdb_path: Path
    pg_schema: str
    project_dir: Path
    public_base_url: str
    #: Athena: the DuckDB file its served marts are published to (the site reads it)
    athena_published: Path | None = None
    #: Athena: where CloudFront writes (flat; organized each night when set), the external
    #: table's location (the day folders), and where each night's export is unloaded to
    athena_logs_source: str = ""
    athena_logs_location: str = ""
    athena_export_dir: str = "s3://bioc-webstats-athena/exports/"

    @property
    def profiles_dir(self) -> Path:
        return self.project_dir / "profiles"

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


def settings(target: str | None = None) -> Settings:
    """Settings for `target` (default: $WEBSTATS_TARGET, else duckdb)."""
    chosen = target or os.environ.get("WEBSTATS_TARGET") or "duckdb"
    if chosen not in TARGETS:
        raise ValueError(f"unknown target {chosen!r}; choose one of {', '.join(TARGETS)}")
    project_dir = Path(os.environ.get("WEBSTATS_PROJECT_DIR", PROJECT_DIR)).resolve()
    duckdb_path = Path(os.environ.get("WEBSTATS_DUCKDB", project_dir / "webstats.duckdb"))
    pg_defaults()
    return Settings(
        target=chosen,
        duckdb_path=duckdb_path.resolve(),
        pg_schema=os.environ.get("WEBSTATS_PG_SCHEMA", "webstats"),
        project_dir=project_dir,
        public_base_url=os.environ.get("WEBSTATS_PUBLIC_BASE_URL", "https://bioconductor.org"),
        athena_published=Path(
            os.environ.get("WEBSTATS_ATHENA_PUBLISHED", project_dir / "webstats-athena.duckdb")
        ).resolve(),
        athena_logs_source=os.environ.get("WEBSTATS_ATHENA_LOGS_SOURCE", ""),
        athena_logs_location=os.environ.get("WEBSTATS_ATHENA_LOGS_LOCATION", ""),
        athena_export_dir=os.environ.get(
            "WEBSTATS_ATHENA_EXPORT_DIR", "s3://bioc-webstats-athena/exports/"
        ),
    )
