"""`webstats manifest update`: keep seeds/packages.csv in step with Bioconductor's PACKAGES files.

The manifest decides which requests count (docs/rules.md) and which home-page links a package
page shows, so it follows the repositories: a package new in devel gets `first_version` = devel,
one gone from devel gets `last_version` = release, one that comes back has `last_version`
cleared. Rows are keyed by (package, category): a package that moves category ends under
the old one and starts under the new one, so its history stays where it was counted.

Which category a PACKAGES file describes is either said (`bioc=path/PACKAGES`) or read from
its path, which on the Bioconductor mirrors ends in `<log_path>/src/contrib/PACKAGES`
(`log_path` from seeds/categories.csv: `bioc`, `data/annotation`, `data/experiment`,
`workflows`). Only categories with a file given are touched. More than MAX_CHANGES changes
are refused without `--force`: an empty or truncated PACKAGES file must not end hundreds of
packages at once.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from webstats.core.errors import BadInput
from webstats.core.seeds import category_log_paths
from webstats.core.settings import Settings

MAX_CHANGES = 50
HEADER = "package,category,first_version,last_version"


class ManifestError(ValueError):
    """A manifest update that cannot be applied (reported in one line)."""


class ManifestInputError(ManifestError, BadInput):
    """Bad input for a manifest update: a file or a category that is not there."""


@dataclass(frozen=True)
class Change:
    kind: str  # "new", "gone", "returning"
    package: str
    category: str
    detail: str

    def text(self) -> str:
        return f"{self.kind:9} {self.category:10} {self.package}  {self.detail}"


@dataclass
class Row:
    package: str
    category: str
    first_version: str
    last_version: str
    line: str | None  # the original text; kept byte for byte when the row is unchanged

    def render(self) -> str:
        if self.line is not None:
            return self.line
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(
            [self.package, self.category, self.first_version, self.last_version]
        )
        return buf.getvalue()


def read_packages_file(path: Path) -> list[str]:
    """`Package:` values of a Debian-control-format file (PACKAGES or PACKAGES.gz)."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    names = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if line[:1].isspace():  # continuation of the previous field
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "package" and value.strip():
            names.append(value.strip())
    return names


def category_paths(categories_csv: Path) -> dict[str, str]:
    """category -> log_path, from the categories seed (the one place that table lives)."""
    return category_log_paths(categories_csv.parent.parent)


def infer_category(path: Path, log_paths: dict[str, str]) -> str:
    """The category whose `<log_path>/src/contrib` the file sits in (longest match wins)."""
    parent = path.resolve().parent.as_posix()
    matches = [
        (len(lp), cat)
        for cat, lp in log_paths.items()
        if parent.endswith(f"/{lp}/src/contrib") or parent == f"{lp}/src/contrib"
    ]
    if not matches:
        raise ManifestInputError(
            f"{path}: cannot tell its category from the path (expected .../<category "
            f"path>/src/contrib/PACKAGES, one of {', '.join(sorted(log_paths.values()))}); "
            "say it as CATEGORY=PATH"
        )
    return max(matches)[1]


def parse_file_args(args: Sequence[str], log_paths: dict[str, str]) -> dict[str, list[str]]:
    """`[CATEGORY=]PATH` arguments -> category -> package names (one file per category)."""
    out: dict[str, list[str]] = {}
    for arg in args:
        cat, sep, rest = arg.partition("=")
        if sep and cat in log_paths:
            path = Path(rest)
        elif sep and "/" not in cat and not Path(arg).exists():
            raise ManifestInputError(
                f"{arg}: no category {cat!r} (categories: {', '.join(log_paths)})"
            )
        else:
            path = Path(arg)
            cat = ""
        if not path.is_file():
            what = "is a directory, not a PACKAGES file" if path.is_dir() else "does not exist"
            raise ManifestInputError(f"PACKAGES file {path} {what}")
        cat = cat or infer_category(path, log_paths)
        if cat in out:
            raise ManifestInputError(f"two PACKAGES files for category {cat!r}")
        out[cat] = read_packages_file(path)
    return out


def read_manifest(path: Path) -> list[Row]:
    lines = path.read_text().splitlines()
    if not lines or lines[0].strip() != HEADER:
        raise ManifestError(f"{path}: expected the header {HEADER!r}")
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        fields += [""] * (4 - len(fields))
        rows.append(Row(fields[0], fields[1], fields[2], fields[3], line))
    return rows


def plan_changes(
    rows: list[Row], devel_packages: dict[str, list[str]], release: str, devel: str
) -> tuple[list[Row], list[Change]]:
    """The manifest after the update (existing order kept, new rows appended) and the changes."""
    changes: list[Change] = []
    by_key = {(r.package, r.category): r for r in rows}
    for row in rows:
        listed = devel_packages.get(row.category)
        if listed is None:
            continue
        present = row.package in set(listed)
        if not present and not row.last_version:
            row.last_version, row.line = release, None
            changes.append(Change("gone", row.package, row.category, f"last_version={release}"))
        elif present and row.last_version:
            changes.append(
                Change(
                    "returning",
                    row.package,
                    row.category,
                    f"last_version {row.last_version} cleared",
                )
            )
            row.last_version, row.line = "", None
    new_rows = []
    for category in sorted(devel_packages):
        for name in sorted(set(devel_packages[category]), key=lambda n: (n.lower(), n)):
            if (name, category) not in by_key:
                new_rows.append(Row(name, category, devel, "", None))
                changes.append(Change("new", name, category, f"first_version={devel}"))
    return rows + new_rows, changes


def write_manifest(path: Path, rows: Iterable[Row]) -> None:
    """Write atomically; unchanged rows keep their exact text, so diffs show only changes."""
    text = "\n".join([HEADER, *(r.render() for r in rows)]) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _check_version(v: str | None, name: str) -> str:
    parts = (v or "").split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ManifestInputError(f"{name} must look like 3.19, got {v!r}")
    return v  # type: ignore[return-value]


def update_manifest(
    manifest_csv: Path,
    categories_csv: Path,
    files: Sequence[str],
    release: str | None,
    devel: str | None,
    force: bool = False,
    dry_run: bool = False,
    out=None,
    write_to: Path | None = None,
) -> list[Change]:
    """Apply the PACKAGES files to the manifest; print and return the changes. The result
    is written back, or to `write_to`."""
    out = out or sys.stdout
    release = _check_version(release, "--release")
    devel = _check_version(devel, "--devel")
    devel_packages = parse_file_args(files, category_paths(categories_csv))
    rows, changes = plan_changes(read_manifest(manifest_csv), devel_packages, release, devel)
    for change in changes:
        print(change.text(), file=out)
    if len(changes) > MAX_CHANGES and not force:
        raise ManifestError(
            f"{len(changes)} manifest changes (more than {MAX_CHANGES}); nothing written. "
            "Check the PACKAGES files, then rerun with --force"
        )
    if changes and not dry_run:
        write_manifest(write_to or manifest_csv, rows)
    return changes


def update_project_manifest(
    settings: Settings,
    files: Sequence[str],
    release: str | None,
    devel: str | None,
    force: bool = False,
    dry_run: bool = False,
    out=None,
    manifest: Path | None = None,
) -> tuple[list[Change], Path]:
    """Update the manifest in force of the settings' project (or `manifest`); returns the
    changes and the file they were (or would be) written to: the project's seed, or the
    state directory's copy when the project is the packaged one (never site-packages)."""
    source = manifest or settings.manifest_file
    dest = manifest or settings.manifest_store
    if not dry_run:
        dest.parent.mkdir(parents=True, exist_ok=True)
    changes = update_manifest(
        source, settings.categories_file, files, release, devel, force, dry_run, out, dest
    )
    return changes, dest
