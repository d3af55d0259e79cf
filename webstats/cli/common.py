"""What every command group shares: the handler type, usage errors and option parsing."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from webstats.core.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


def parse_vars(pairs: Sequence[str]) -> dict[str, str]:
    """`--var KEY=VALUE` options as a dict of dbt vars."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--var expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out
