"""The reference-data seeds read from Python: the same CSV files dbt loads.

Python needs the categories and the manifest before any warehouse exists (generating demo
logs, reading PACKAGES files, importing the legacy site), so it reads the seed files itself,
here only. Everything else (the renderer) reads the warehouse tables the seeds become.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .settings import PROJECT_DIR


def seed_path(project_dir: Path, name: str) -> Path:
    """`seeds/<name>.csv` of the dbt project."""
    return project_dir / "seeds" / f"{name}.csv"


def manifest_path(project_dir: Path = PROJECT_DIR) -> Path:
    """The package manifest seed (`package,category,first_version,last_version`)."""
    return seed_path(project_dir, "packages")


def categories_path(project_dir: Path = PROJECT_DIR) -> Path:
    """The categories seed (names, paths, labels, file prefixes, Top-N sizes, first years)."""
    return seed_path(project_dir, "categories")


def categories(project_dir: Path = PROJECT_DIR) -> list[dict[str, str]]:
    """Rows of seeds/categories.csv, in file order."""
    with open(categories_path(project_dir), newline="") as fh:
        return list(csv.DictReader(fh))


def category_log_paths(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """category -> the repository path it has in request URLs (`bioc`, `data/annotation`, ...)."""
    return {row["category"]: row["log_path"] for row in categories(project_dir)}


def manifest_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a package manifest CSV (the seed, or a copy of it), in file order."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
