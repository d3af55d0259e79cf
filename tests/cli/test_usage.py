"""Every command fails well: a table of wrong usages and failures, run against the real
command line. Bad usage exits 2, a failure 1, another writer 75; each says so in one line on
stderr that names the option or the cause, and never shows a traceback.

Most cases run `main([...])` in this process (fast); a few run the installed `webstats`
executable, to see what a user sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webstats.cli import main
from webstats.core import warehouse as wh
from webstats.core.settings import settings

EXECUTABLE = Path(sys.executable).with_name("webstats")

# (argv with {file}, {missing}, {empty}, {logs}, {out} placeholders, status, text in the line)
USAGE = [
    ([], "COMMAND"),
    (["nosuch"], "argument COMMAND"),
    (["serve", "--port", "70000"], "argument --port"),
    (["serve", "--port", "eighty"], "argument --port"),
    (["serve", "--threads", "0"], "argument --threads"),
    (["serve", "--target", "athena"], "athena"),
    (["serve", "--target", "nosuch"], "argument --target"),
    (["serve", "--project-dir", "{empty}"], "--project-dir"),
    (["demo", "--days", "0"], "argument --days"),
    (["demo", "--out", "{file}"], "argument --out"),
    (["refresh", "--release", "abc", "--devel", "3.23"], "argument --release"),
    (["refresh", "--release", "3.22"], "--devel"),
    (["refresh", "--logs", "{missing}"], "argument --logs"),
    (["refresh", "--packages", "{file}"], "--packages"),
    (["build", "--var", "bioc_release=abc"], "bioc_release"),
    (["build", "--var", "novalue"], "--var"),
    (["import-legacy", "--before", "2025-13-45", "{empty}"], "argument --before"),
    (["import-legacy", "{file}"], "not a directory"),
    (["import-legacy", "{missing}"], "no such file or directory"),
    (["load", "{missing}"], "argument PATH"),
    (["load", "--target", "athena", "{logs}"], "athena"),
    (["prune"], "--keep-days"),
    (["prune", "--keep-days", "-1"], "argument --keep-days"),
    (["migrate-ip-hash", "--target", "athena"], "athena target keeps no raw tables"),
    (["export", "{file}"], "argument DIR"),
    (["manifest", "update", "--release", "3.22", "--devel", "3.23", "nosuchcat={file}"],
     "no category 'nosuchcat'"),
    (["manifest", "update", "--release", "3.22", "--devel", "x", "{file}"], "argument --devel"),
    (["manifest", "update", "--release", "3.22", "--devel", "3.23", "{missing}"],
     "does not exist"),
]  # fmt: skip

FAILURES = [
    (["load", "{empty}"], "no log files in"),
    (["export", "{out}"], "nothing to export"),
]


@pytest.fixture
def paths(tmp_path, logs, monkeypatch) -> dict[str, str]:
    """The placeholders' paths; the warehouse is a file under tmp_path that does not exist."""
    monkeypatch.setenv("WEBSTATS_DUCKDB", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("WEBSTATS_TARGET", raising=False)
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("not a directory\n")
    req = logs.req("/packages/3.18/bioc/src/contrib/ACME_1.0.tar.gz")
    logs.write(tmp_path / "logs" / "E1.2024-01-15-10.a.gz", logs.cloudfront([req]))
    return {
        "file": str(tmp_path / "file.txt"),
        "missing": str(tmp_path / "missing"),
        "empty": str(tmp_path / "empty"),
        "logs": str(tmp_path / "logs"),
        "out": str(tmp_path / "out"),
    }


def _run(argv: list[str], paths: dict[str, str], capsys) -> tuple[int, str]:
    status = main([a.format(**paths) for a in argv])
    return status, capsys.readouterr().err


def _one_line(err: str, text: str) -> None:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("webstats") and text in err, err


def _id(value):
    return " ".join(value) if isinstance(value, list) else None


@pytest.mark.parametrize(("argv", "text"), USAGE, ids=_id)
def test_bad_usage_exits_2_with_one_line(argv, text, paths, capsys):
    status, err = _run(argv, paths, capsys)
    assert status == 2
    _one_line(err, text)


@pytest.mark.parametrize(("argv", "text"), FAILURES, ids=_id)
def test_a_failure_exits_1_with_its_cause(argv, text, paths, capsys):
    status, err = _run(argv, paths, capsys)
    assert status == 1
    _one_line(err, text)
    assert not Path(paths["out"]).exists()  # export made no directory for nothing


def test_a_bad_target_in_the_environment_is_bad_usage(paths, capsys, monkeypatch):
    monkeypatch.setenv("WEBSTATS_TARGET", "nosuch")
    status, err = _run(["load", "{logs}"], paths, capsys)
    assert status == 2
    _one_line(err, "WEBSTATS_TARGET")


@pytest.mark.parametrize("argv", [["load", "--target", "postgres", "{logs}"],
                                  ["build", "--target", "postgres"],
                                  ["export", "--target", "postgres", "{out}"]])  # fmt: skip
def test_postgresql_down_is_one_line(argv, paths, capsys, monkeypatch):
    monkeypatch.setenv("PGPORT", "1")  # nothing listens there
    status, err = _run(argv, paths, capsys)
    assert status == 1
    _one_line(err, "connect")
    assert not Path(paths["out"]).exists()


def test_another_webstats_writer_exits_75(paths, capsys):
    with wh.writer_lock(settings()):
        status, err = _run(["load", "{logs}"], paths, capsys)
    assert status == wh.BUSY_EXIT
    _one_line(err, "another webstats run holds")


def test_a_process_holding_the_duckdb_file_exits_75(paths, capsys, tmp_path):
    """A plain `dbt build` takes no webstats lock, but DuckDB's own: try later, too."""
    hold = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(tmp_path / "w.duckdb")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        status, err = _run(["load", "{logs}"], paths, capsys)
    finally:
        holder.kill()
        holder.wait()
    assert status == wh.BUSY_EXIT
    _one_line(err, "Could not set lock")


def _command(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXECUTABLE), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_real_command_says_one_line_and_debug_shows_the_traceback(paths):
    env = {"WEBSTATS_DUCKDB": os.environ["WEBSTATS_DUCKDB"]}
    proc = _command("serve", "--port", "70000", env=env)
    assert proc.returncode == 2
    _one_line(proc.stderr, "argument --port")
    proc = _command("import-legacy", "--before", "2025-13-45", paths["empty"], env=env)
    assert proc.returncode == 2
    _one_line(proc.stderr, "argument --before: '2025-13-45' is not a date YYYY-MM-DD")
    proc = _command("load", paths["empty"], env=env)
    assert proc.returncode == 1
    _one_line(proc.stderr, "no log files in")

    proc = _command("export", "--debug", paths["out"], env=env)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("webstats export: nothing to export")
