"""Helpers shared by the test suites: isolated warehouses, real Postgres, full builds.

Import as `from wstest import ...` (tests/ is on sys.path through its conftest).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from webstats.config import Settings, pg_defaults

pg_defaults()

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "legacy"


def _pg_connect():
    import psycopg

    return psycopg.connect(autocommit=True, connect_timeout=5)


def pg_connect():
    """An autocommit connection to the test PostgreSQL server (PG* environment)."""
    return _pg_connect()


def postgres_or_skip() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL cannot be reached."""
    try:
        _pg_connect().close()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


def make_settings(target: str, tmp_path: Path, pg_schema: str | None = None) -> Settings:
    """Settings for an isolated warehouse: its own DuckDB file or its own Postgres schema."""
    from webstats.config import PROJECT_DIR

    return Settings(
        target=target,
        duckdb_path=(tmp_path / "warehouse.duckdb").resolve(),
        pg_schema=pg_schema or "webstats",
        project_dir=PROJECT_DIR,
        public_base_url="https://bioconductor.org",
    )


PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "profiles", "tests/dbt")


def project_with_manifest(dest: Path, manifest_csv: Path | str) -> Path:
    """A copy of the dbt project whose package manifest seed is `manifest_csv`.

    Tests need their own manifest; copying the (small) project keeps the repository's seed
    untouched and lets tests run in parallel.
    """
    import shutil

    from webstats.config import PROJECT_DIR

    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = PROJECT_DIR / part
        if src.is_dir():
            shutil.copytree(src, dest / part, dirs_exist_ok=True)
        elif src.exists():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    if isinstance(manifest_csv, str) and "\n" in manifest_csv:
        text = manifest_csv
    else:
        text = Path(manifest_csv).read_text()
    (dest / "seeds" / "packages.csv").write_text(text)
    return dest


def build_warehouse(
    settings: Settings,
    log_paths,
    manifest_csv: Path | str | None = None,
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
):
    """Load `log_paths` and run `dbt build` into the settings' isolated warehouse.

    `manifest_csv` is a path to, or the text of, a manifest to use instead of the repository's
    seed. Returns (settings actually used, LoadSummary).
    """
    import dataclasses

    from webstats.dbt import build
    from webstats.loader import load_paths

    if manifest_csv is not None:
        tag = settings.duckdb_path.parent / f"project-{uuid.uuid4().hex[:6]}"
        settings = dataclasses.replace(
            settings, project_dir=project_with_manifest(tag, manifest_csv)
        )
    summary = load_paths(settings, [Path(p) for p in log_paths], progress=False)
    build(settings, full_refresh=full_refresh, dbt_vars=dbt_vars)
    return settings, summary


LEGACY_VARS = {"bioc_release": "3.18", "bioc_devel": "3.19"}
