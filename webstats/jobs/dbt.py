"""Running dbt for a target.

dbt runs in a subprocess with the profile's environment variables set from Settings. Its
target and log directories belong to the warehouse (one per DuckDB file or Postgres schema,
under `target/webstats/` of the state directory: the project's own, or $WEBSTATS_HOME for
the packaged project): runs against different warehouses never share compiled state, and
the nightly run against the same warehouse reuses dbt's partial-parse file instead of
parsing the project again. Writers hold the warehouse lock, so two dbt runs never use one
state directory at once.

The packaged project (inside site-packages) is never written to: dbt runs in a working copy
under the state directory, synced from it before each run, whose manifest seed is the one
in force (`Settings.manifest_file`).

When dbt fails, the error raised names the cause in its first line (the failing node and
dbt's message, e.g. "model stats: Catalog Error: ..."), followed by the end of the output.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from webstats.core.settings import PROJECT_PARTS, Settings
from webstats.core.warehouse import child_process_setup, held_lock_fds, state_key

#: the dbt subprocess: dbt's command line, ended without Python's teardown (dbt_child.py)
DBT_MAIN = "from webstats.jobs.dbt_child import main; main()"
#: environment variable naming another command to run dbt with (see `dbt_command`)
DBT_COMMAND_ENV = "WEBSTATS_DBT_COMMAND"


class DbtError(RuntimeError):
    """A dbt command failed; the message carries the end of dbt's output."""


def dbt_args(
    settings: Settings, command: Sequence[str], dbt_vars: Mapping | None, project: Path
) -> list[str]:
    args = [
        *command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project / "profiles"),
        "--target",
        settings.target,
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    return args


def state_dir(settings: Settings) -> Path:
    """dbt's target/log directory for this project, target and warehouse."""
    path = settings.state_dir / "target" / "webstats" / state_key(settings)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _same_bytes(a: Path, b: Path) -> bool:
    return b.is_file() and a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _sync_file(src: Path, dest: Path) -> None:
    """Copy `src` over `dest` unless they are equal (dbt's partial parse keys on contents)."""
    if not _same_bytes(src, dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)


def _project_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, for the parts of the dbt project under `root`."""
    out = {}
    for part in PROJECT_PARTS:
        base = root / part
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" not in f.parts:
                out[f.relative_to(root).as_posix()] = f
    return out


def dbt_project_dir(settings: Settings) -> Path:
    """Where dbt runs: the user's project as it is, or a working copy of the packaged one in
    the state directory (site-packages stays untouched; its manifest is the one in force)."""
    if not settings.packaged:
        return settings.project_dir
    work = settings.state_dir / "project"
    wanted = _project_files(settings.project_dir)
    wanted["seeds/packages.csv"] = settings.manifest_file
    for rel, stale in _project_files(work).items():
        if rel not in wanted:
            stale.unlink()
    for rel, src in wanted.items():
        _sync_file(src, work / rel)
    return work


#: what dbt writes in front of its log lines: colour codes, then the time
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_TIME = re.compile(r"^\s*\d\d:\d\d:\d\d\s+")
#: the line that opens dbt's account of a failed node, and the kinds of error lines
_FAILURE = re.compile(r"^(?:Failure|Error|Warning) in ((?:\w+ )?\S+)")
_ERROR_HEADING = re.compile(r"^\w+ Error( in .*)?$|^Encountered an error:$")
_MESSAGE = re.compile(r"\b\w*(Error|Exception)\b.*:\s*\S")


def _plain(output: str) -> list[str]:
    return [_TIME.sub("", _COLOUR.sub("", line)).strip() for line in output.splitlines()]


def summary_line(output: str) -> str:
    """dbt's closing count of a run ("Done. PASS=61 WARN=0 ERROR=0 ...")."""
    done = [line for line in _plain(output) if line.startswith("Done.")]
    return done[-1] if done else "done"


def error_line(output: str) -> str | None:
    """The cause of a failed dbt run in one line, from dbt's output: the first failing node
    with dbt's message about it, or the error dbt stopped on ("Database Error: ...")."""
    lines = [line for line in _plain(output) if line]
    for i, line in enumerate(lines):
        failure = _FAILURE.match(line)
        if failure is None and not line.startswith("Encountered an error"):
            continue
        block = []
        for detail in lines[i + 1 : i + 12]:
            if _FAILURE.match(detail) or detail.startswith(("Done.", "compiled code at")):
                break
            block.append(detail)
        heading = next((d for d in block if _ERROR_HEADING.match(d)), "")
        text = [d for d in block if not _ERROR_HEADING.match(d) and not d.startswith(">")]
        message = next((d for d in text if _MESSAGE.search(d)), text[0] if text else heading)
        if failure is None:
            kind = heading.split(" in ")[0]
            return f"{kind}: {message}" if kind and kind != message else message
        return f"{failure.group(1)}: {message}"
    return None


def dbt_command() -> list[str]:
    """The command that runs dbt: this Python running webstats' dbt entry point, unless
    $WEBSTATS_DBT_COMMAND names another one (a command line taking dbt's arguments; the
    test suite points it at a process that has dbt imported already and forks a run for
    each call, which saves dbt's three seconds of imports per run)."""
    other = os.environ.get(DBT_COMMAND_ENV)
    return shlex.split(other) if other else [sys.executable, "-c", DBT_MAIN]


def _run(args: list[str], env: dict[str, str], cwd: Path, echo: bool) -> tuple[int, str]:
    """Run dbt; its exit status and output (copied to stdout as it comes when `echo`)."""
    with subprocess.Popen(
        args,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # the writer lock is inherited (the child holds it as long as it runs), and the
        # child is killed when this process dies: no dbt ever writes without the lock
        pass_fds=held_lock_fds(),
        preexec_fn=child_process_setup(),
    ) as proc:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
    return code, "".join(lines)


def _dbt_env(settings: Settings, extra_env: Mapping[str, str] | None) -> dict[str, str]:
    """dbt's environment: the profile's variables, this warehouse's state directory."""
    work = state_dir(settings)
    env = settings.dbt_env()
    env["DBT_TARGET_PATH"] = str(work / "target")
    env["DBT_LOG_PATH"] = str(work / "logs")
    # dbt's own defaults write a debug-level log file and manifest/run-results JSON on every
    # run, about 2 s of a small build; nothing here reads them (set either to get them).
    env.setdefault("DBT_LOG_LEVEL_FILE", "info")
    env.setdefault("DBT_WRITE_JSON", "false")
    env.update(extra_env or {})
    return env


def _failed(command: Sequence[str], code: int, output: str) -> DbtError:
    cause = error_line(output) or f"exit status {code}"
    tail = "\n".join(_plain(output.strip())[-30:])
    return DbtError(f"dbt {command[0]}: {cause}\n{tail}")


def run_dbt(
    settings: Settings,
    command: Sequence[str],
    dbt_vars: Mapping | None = None,
    quiet: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    """Run `dbt <command>` against the settings' target; return its output or raise DbtError.
    `extra_env` overrides the environment given to dbt (e.g. DBT_WRITE_JSON)."""
    env = _dbt_env(settings, extra_env)
    project = dbt_project_dir(settings)
    code, output = _run(
        [*dbt_command(), *dbt_args(settings, command, dbt_vars, project)],
        env,
        project,
        echo=not quiet,
    )
    if code != 0:
        raise _failed(command, code, output)
    return output


#: the dbt session's process (dbt_child.session), and the line that ends each command's
#: output there (then its exit code)
DBT_SESSION = "from webstats.jobs.dbt_child import session; session()"
SESSION_END = "\x1ewebstats-dbt-end"


class DbtSession:
    """Several dbt commands against one warehouse with the same vars, in one dbt process:
    dbt is imported and the project parsed once (the nightly job's freshness check and
    build; 3-5 s of a quiet night, 20 s and more under load). Commands run one at a time,
    and the caller's own work between them sees every change the previous one made (the
    DuckDB file is closed after each). Use as a context manager; the process ends with it
    (and, like every dbt child, with the job: it holds the writer lock's descriptor).

    Where $WEBSTATS_DBT_COMMAND names another dbt launcher (the test suite's fork server),
    each command runs through it as `run_dbt` does."""

    def __init__(self, settings: Settings, dbt_vars: Mapping | None = None):
        self.settings = settings
        self.dbt_vars = dict(dbt_vars) if dbt_vars else None
        self.proc: subprocess.Popen | None = None
        self.project: Path | None = None

    def __enter__(self) -> DbtSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the process: at the end of its input when it is idle, killed otherwise."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def _start(self) -> subprocess.Popen:
        self.project = dbt_project_dir(self.settings)
        return subprocess.Popen(
            [sys.executable, "-c", DBT_SESSION],
            env=_dbt_env(self.settings, None),
            cwd=self.project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            pass_fds=held_lock_fds(),  # as _run: no dbt writes without the lock
            preexec_fn=child_process_setup(),
        )

    def run(
        self,
        command: Sequence[str],
        quiet: bool = True,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        """`dbt <command>` in the session; its output, or DbtError (as run_dbt)."""
        if os.environ.get(DBT_COMMAND_ENV):
            return run_dbt(self.settings, command, self.dbt_vars, quiet, extra_env)
        if self.proc is None:
            self.proc = self._start()
        project = self.project
        parse = [*dbt_args(self.settings, ["parse", "--no-write-json"], self.dbt_vars, project)]
        request = {
            "args": dbt_args(self.settings, command, self.dbt_vars, project),
            "parse": parse,
            "env": dict(extra_env or {}),
        }
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the process ended: its output says why
        code, output = self._answer(quiet)
        if code != 0:
            raise _failed(command, code, output)
        return output

    def _answer(self, quiet: bool) -> tuple[int, str]:
        """The command's output up to its end line, and its exit code (-1: the process
        ended first)."""
        lines = []
        for line in self.proc.stdout:
            if line.startswith(SESSION_END):
                return int(line.split()[-1]), "".join(lines)
            lines.append(line)
            if not quiet:
                sys.stdout.write(line)
                sys.stdout.flush()
        self.close()
        return -1, "".join(lines)


def build_command(full_refresh: bool = False, select: Sequence[str] = ()) -> list[str]:
    """The arguments of `dbt build` (see `build`)."""
    command = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", *select]
    return command


def build(
    settings: Settings,
    full_refresh: bool = False,
    dbt_vars: Mapping | None = None,
    quiet: bool = True,
    select: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> str:
    """`dbt build`: seeds, models and their data tests, incremental unless full_refresh;
    `env` overrides dbt's environment (run_dbt's `extra_env`).

    The models' unit tests check the SQL, not the data, so they are left to `dbt test
    --select test_type:unit` (the test suite runs them) instead of costing every nightly
    build a second and more.
    """
    return run_dbt(settings, build_command(full_refresh, select), dbt_vars, quiet, extra_env=env)
