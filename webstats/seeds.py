"""Reading the reference-data seeds from Python (the same CSV files dbt loads).

Python needs the categories before any warehouse exists (generating demo logs, reading
PACKAGES files, importing the legacy site), so it reads the seed file itself, here only.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .config import PROJECT_DIR


def categories(project_dir: Path = PROJECT_DIR) -> list[dict[str, str]]:
    """Rows of seeds/categories.csv, in file order."""
    with open(project_dir / "seeds" / "categories.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def category_log_paths(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """category -> the repository path it has in request URLs (`bioc`, `data/annotation`, ...)."""
    return {row["category"]: row["log_path"] for row in categories(project_dir)}
