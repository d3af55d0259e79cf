"""Server-side bar charts: `<name>_<year>_stats.png`, 720x400, as the legacy site drew them.

matplotlib's object API with the Agg canvas (no pyplot, no global figure state). Building a
figure and its axes costs more than drawing it, so one figure is built once per process and
re-used: each chart only sets the bar heights, the y range and the title, then draws. The
lock makes that re-use safe from Waitress's worker threads; charts are cached per build, so
it is rarely contended.
"""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from .pages import MONTHS, Year  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 720, 400, 100
IP_COLOUR, DL_COLOUR = "#aaaaff", "#ddddff"
BASE = 0.8  # bars start here: just under 1, the smallest non-zero count
BAR_WIDTH = 0.4


class _Chart:
    """One reusable figure: two bar series of 12 months on a log axis, legend, title."""

    def __init__(self) -> None:
        self.fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.08)
        ax = self.ax = self.fig.add_subplot(1, 1, 1)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10))
        # Plain numbers (1, 10, 100) rather than mathtext powers: clearer, and much cheaper.
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        x = range(len(MONTHS))
        zeros = [0.0] * len(MONTHS)
        self.ips = ax.bar([i - BAR_WIDTH / 2 for i in x], zeros, BAR_WIDTH, bottom=BASE,
                          label="Nb of distinct IPs", color=IP_COLOUR, edgecolor="#555599",
                          linewidth=0.5)
        self.dls = ax.bar([i + BAR_WIDTH / 2 for i in x], zeros, BAR_WIDTH, bottom=BASE,
                          label="Nb of downloads", color=DL_COLOUR, edgecolor="#7777aa",
                          linewidth=0.5)
        ax.set_xticks(list(x), MONTHS)
        ax.set_xlim(-0.6, len(MONTHS) - 0.4)
        ax.legend(loc="upper right", fontsize="small")
        ax.grid(axis="y", which="major", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        # A figure text, not ax.set_title: placing an axes title measures every tick label.
        self.title = self.fig.text(0.5, 0.95, "", ha="center", va="center", fontsize="large")

    def png(self, title: str, year: Year) -> bytes:
        ips = [m.ip_count for m in year.months]
        dls = [m.download_count for m in year.months]
        for bars, values in ((self.ips, ips), (self.dls, dls)):
            for patch, v in zip(bars.patches, values, strict=True):
                # A zero month has no bar (a log axis cannot show 0).
                patch.set_height(v - BASE if v > 0 else 0.0)
        self.ax.set_ylim(BASE, max(10, max(ips + dls) * 12))
        self.title.set_text(title)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()


_LOCK = threading.Lock()
_CHART: _Chart | None = None


def year_chart(name: str, year: Year) -> bytes:
    """PNG bytes of one year's chart, titled `<name> <year>`."""
    global _CHART
    with _LOCK:
        if _CHART is None:
            _CHART = _Chart()
        return _CHART.png(f"{name} {year.year}", year)
