"""Value types shared by the layers that read or write statistics rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """One monthly (date = first of the month) or yearly (date = 31 December) row of
    `stats` / `categorystats`, or of a legacy `_stats.tab` file."""

    date: dt.date
    is_monthly: bool
    ip_count: int
    download_count: int
