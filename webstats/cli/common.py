"""What every command group shares: the handler type, usage errors and option checking.

Every value is checked when the command line is read, before any work starts, and a bad
one is told in one line that names the option (exit status 2): argparse's own messages go
through `Parser.error`, and the option types below say what they expect.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from webstats.core.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
#: a Bioconductor version as the pages link to it (3.9, 3.22)
VERSION = re.compile(r"\d+\.\d+")
#: dbt vars that hold a Bioconductor version
VERSION_VARS = ("bioc_release", "bioc_devel")
MAX_PORT = 65535
MAX_THREADS = 1024


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as UsageError (one line) instead of printed with the
    usage text; subcommands' parsers are of this class too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    value = _integer(text)
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-{MAX_PORT})")
    return value


def threads(text: str) -> int:
    """A thread count, 1 to 1024."""
    value = _integer(text)
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to {MAX_THREADS} threads")
    return value


def positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 1 or more")
    return value


def not_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 0 or more")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def version(text: str) -> str:
    """A Bioconductor version X.Y (3.22)."""
    if not VERSION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a version like 3.22")
    return text


def day(text: str) -> dt.date:
    """A date YYYY-MM-DD."""
    try:
        if len(text) == len("YYYY-MM-DD"):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD")


def existing_path(text: str) -> Path:
    """A file or directory that exists."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file or directory: {text}")
    return path


def directory(text: str) -> Path:
    """A directory that exists."""
    path = existing_path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a directory")
    return path


def existing_file(text: str) -> Path:
    """A file that exists."""
    path = existing_path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    return path


def not_a_file(text: str) -> Path:
    """A directory to write into: it may not exist yet, but must not be a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a directory")
    return path


def parse_vars(pairs: Sequence[str]) -> dict[str, str]:
    """`--var KEY=VALUE` options as a dict of dbt vars (versions checked like --release)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key):
            raise UsageError(f"--var expects KEY=VALUE, got {pair!r}")
        if key in VERSION_VARS and not VERSION.fullmatch(value):
            raise UsageError(f"--var {key}: {value!r} is not a version like 3.22")
        out[key] = value
    return out


def versions_together(release: str | None, devel: str | None) -> None:
    """--release and --devel name the two versions the pages link to: both or neither."""
    if (release is None) != (devel is None):
        given, missing = ("--release", "--devel") if release else ("--devel", "--release")
        raise UsageError(f"{given} needs {missing} too (the pages link to both versions)")
