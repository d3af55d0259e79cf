"""`webstats manifest update`: PACKAGES files (real Debian control format) -> seeds/packages.csv."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from webstats.cli import main
from webstats.core.settings import PROJECT_DIR
from webstats.jobs.manifest import read_packages_file

CATEGORIES = PROJECT_DIR / "seeds" / "categories.csv"

MANIFEST = """package,category,first_version,last_version
ACME,bioc,2.0,
AnalysisPageServer,bioc,3.1,3.11
"quoted,name",bioc,3.5,
alabaster.string,bioc,3.17,
BSgenome.Celegans.UCSC.ce2,annotation,1.9,
eQTL,workflows,2.13,3.12
"""


def entry(name: str, version: str = "1.0.0", extra: str = "") -> str:
    """One PACKAGES stanza as Bioconductor writes it (continuation lines included)."""
    return (
        f"Package: {name}\n"
        f"Version: {version}\n"
        "Depends: R (>= 4.3.0), methods, stats,\n"
        "        utils\n"
        "Imports: BiocGenerics (>= 0.47.0), S4Vectors, IRanges,\n"
        "        GenomicRanges\n"
        "License: Artistic-2.0\n"
        f"MD5sum: 0123456789abcdef0123456789abcdef\n{extra}"
        "NeedsCompilation: no\n"
    )


def write_packages(root: Path, category_path: str, names: list[str], gz: bool = False) -> Path:
    """A devel PACKAGES file where the mirror keeps it: <root>/<path>/src/contrib/PACKAGES."""
    d = root / "packages" / "3.23" / category_path / "src" / "contrib"
    d.mkdir(parents=True, exist_ok=True)
    text = "\n".join(entry(n) for n in names)
    if gz:
        path = d / "PACKAGES.gz"
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path = d / "PACKAGES"
        path.write_text(text)
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    p = tmp_path / "packages.csv"
    p.write_text(MANIFEST)
    return p


def update(manifest: Path, *args: str) -> int:
    return main(["manifest", "update", "--manifest", str(manifest), *args])


def test_reads_package_fields_only(tmp_path):
    path = write_packages(tmp_path, "bioc", ["ACME", "zlibbioc"])
    assert read_packages_file(path) == ["ACME", "zlibbioc"]
    gz = write_packages(tmp_path / "gz", "bioc", ["ACME"], gz=True)
    assert read_packages_file(gz) == ["ACME"]


def test_new_gone_returning(manifest, tmp_path, capsys):
    # devel bioc: ACME stays, AnalysisPageServer returns, alabaster.string and
    # "quoted,name" are gone, NewPkg arrives. Workflows: eQTL stays ended (not listed).
    bioc = write_packages(tmp_path, "bioc", ["ACME", "AnalysisPageServer", "NewPkg", "aNew"])
    wf = write_packages(tmp_path, "workflows", ["annotation"])
    status = update(manifest, "--release", "3.22", "--devel", "3.23", str(bioc), str(wf))
    assert status == 0
    out = capsys.readouterr().out
    assert "returning" in out and "AnalysisPageServer" in out and "gone" in out
    assert manifest.read_text() == (
        "package,category,first_version,last_version\n"
        "ACME,bioc,2.0,\n"
        "AnalysisPageServer,bioc,3.1,\n"
        '"quoted,name",bioc,3.5,3.22\n'
        "alabaster.string,bioc,3.17,3.22\n"
        "BSgenome.Celegans.UCSC.ce2,annotation,1.9,\n"  # no annotation file: untouched
        "eQTL,workflows,2.13,3.12\n"
        "aNew,bioc,3.23,\n"  # new rows: by category, then name case-insensitively
        "NewPkg,bioc,3.23,\n"
        "annotation,workflows,3.23,\n"
    )
    # applying the same files again changes nothing, byte for byte
    before = manifest.read_bytes()
    assert update(manifest, "--release", "3.22", "--devel", "3.23", str(bioc), str(wf)) == 0
    assert manifest.read_bytes() == before


def test_category_given_explicitly_and_inferred_nested_path(manifest, tmp_path):
    anno = write_packages(
        tmp_path, "data/annotation", ["BSgenome.Celegans.UCSC.ce2", "org.Hs.eg.db"]
    )
    plain = tmp_path / "somewhere" / "PACKAGES"
    plain.parent.mkdir()
    plain.write_text(entry("ACME"))
    args = ["--release", "3.22", "--devel", "3.23"]
    assert update(manifest, *args, str(anno), f"bioc={plain}") == 0
    text = manifest.read_text()
    assert "org.Hs.eg.db,annotation,3.23,\n" in text
    assert "alabaster.string,bioc,3.17,3.22\n" in text


def test_unknown_category_path_is_refused(manifest, tmp_path, capsys):
    plain = tmp_path / "PACKAGES"
    plain.write_text(entry("ACME"))
    # bad input (say the category as CATEGORY=PATH): exit status 2
    assert update(manifest, "--release", "3.22", "--devel", "3.23", str(plain)) == 2
    assert "cannot tell its category" in capsys.readouterr().err
    assert manifest.read_text() == MANIFEST


def test_more_than_50_changes_need_force(manifest, tmp_path, capsys):
    names = ["ACME", "AnalysisPageServer", "alabaster.string", "quoted,name"] + [
        f"pkg{i:02d}" for i in range(51)
    ]
    bioc = write_packages(tmp_path, "bioc", names)
    args = ["--release", "3.22", "--devel", "3.23", str(bioc)]
    assert update(manifest, *args) == 1
    assert "--force" in capsys.readouterr().err
    assert manifest.read_text() == MANIFEST
    assert update(manifest, "--force", *args) == 0
    assert manifest.read_text().count(",bioc,3.23,\n") == 51


def test_empty_packages_file_cannot_end_everything_silently(manifest, tmp_path, capsys):
    d = tmp_path / "bioc" / "src" / "contrib"
    d.mkdir(parents=True)
    (d / "PACKAGES").write_text("")
    assert update(manifest, "--release", "3.22", "--devel", "3.23", str(d / "PACKAGES")) == 0
    out = capsys.readouterr().out
    assert out.count("gone") == 3  # small manifest: under the limit, but every change listed
