"""Operations around the daily job (refresh, manifest updates, legacy import, retention).

Each command registers itself on the `webstats` parser through `register`.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the operations subcommands (filled in by the daily-job work)."""
