"""Server-side bar charts: `<name>_<year>_stats.png`, 720x400, as the legacy site drew them.

Drawn with Pillow: two bar series of 12 months on a logarithmic y axis (labelled decades,
unlabelled 2..9 minor ticks), a legend and the title `<name> <year>`. Pillow rather than
matplotlib keeps matplotlib and NumPy (~45 MB resident) out of the web process. The font is
the one built into Pillow (`ImageFont.load_default(size=...)`, FreeType), so the bytes do
not depend on the fonts installed and the same data always gives the same PNG.

Every chart is a new image, so there is no shared drawing state; the lock only serialises
the FreeType font objects, which are built once and shared. Charts are cached per build, so
it is rarely contended.
"""

from __future__ import annotations

import io
import math
import threading
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from renderer.legacy.pages import MONTHS, Year

WIDTH_PX, HEIGHT_PX = 720, 400
IP_COLOUR, DL_COLOUR = "#aaaaff", "#ddddff"
IP_EDGE, DL_EDGE = "#555599", "#7777aa"
IP_LABEL, DL_LABEL = "Nb of distinct IPs", "Nb of downloads"
BASE = 0.8  # bars start here: just under 1, the smallest non-zero count

# Plot area (pixels, inclusive): 12 month slots of SLOT px, two BAR px bars centred in each.
LEFT, TOP, BOTTOM = 58, 40, 368
SLOT, BAR = 54, 22
RIGHT = LEFT + SLOT * len(MONTHS)  # 706
AXIS, GRID, TEXT = "#000000", "#dddddd", "#222222"
TITLE_SIZE, TICK_SIZE, LEGEND_SIZE = 18, 13, 12


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _decade_label(exp: int) -> str:
    """1, 10, 100, 1k, 10k, 100k, 1M, ... for 10**exp."""
    for step, suffix in ((9, "B"), (6, "M"), (3, "k")):
        if exp >= step:
            return f"{10 ** (exp - step)}{suffix}"
    return str(10**exp)


def _title(draw: ImageDraw.ImageDraw, title: str) -> None:
    size = TITLE_SIZE
    while size > 10 and draw.textlength(title, font=_font(size)) > WIDTH_PX - 20:
        size -= 1  # a very long package name: smaller rather than cut off
    draw.text((WIDTH_PX / 2, 20), title, fill=TEXT, font=_font(size), anchor="mm")


def _legend(draw: ImageDraw.ImageDraw) -> None:
    font = _font(LEGEND_SIZE)
    entries = ((IP_LABEL, IP_COLOUR, IP_EDGE), (DL_LABEL, DL_COLOUR, DL_EDGE))
    text_w = max(math.ceil(draw.textlength(label, font=font)) for label, _, _ in entries)
    pad, patch_w, patch_h, row = 8, 24, 11, 19
    x1, y0 = RIGHT - 8, TOP + 8
    x0 = x1 - (pad + patch_w + 7 + text_w + pad)
    draw.rectangle((x0, y0, x1, y0 + pad + row * len(entries) + pad - 6),
                   fill="#ffffff", outline="#cccccc")
    for i, (label, fill, edge) in enumerate(entries):
        cy = y0 + pad + row * i + 6
        draw.rectangle((x0 + pad, cy - patch_h // 2, x0 + pad + patch_w, cy + patch_h // 2),
                       fill=fill, outline=edge)
        draw.text((x0 + pad + patch_w + 7, cy), label, fill=TEXT, font=font, anchor="lm")


def render(title: str, year: Year) -> bytes:
    """The PNG: bars of `year`'s months on a log axis from BASE to 12x the largest count."""
    ips = [m.ip_count for m in year.months]
    dls = [m.download_count for m in year.months]
    lo, hi = math.log10(BASE), math.log10(max(10, max(ips + dls) * 12))

    def y_of(v: float) -> int:
        return round(BOTTOM - (math.log10(v) - lo) / (hi - lo) * (BOTTOM - TOP))

    img = Image.new("RGB", (WIDTH_PX, HEIGHT_PX), "#ffffff")
    draw = ImageDraw.Draw(img)
    tick_font = _font(TICK_SIZE)

    # y axis: a grid line, tick and label per decade; short ticks at 2..9 x each decade.
    for exp in range(0, math.floor(hi) + 1):
        y = y_of(10**exp)
        if y < TOP:
            break
        draw.line((LEFT + 1, y, RIGHT - 1, y), fill=GRID)
        draw.line((LEFT - 5, y, LEFT - 1, y), fill=AXIS)
        draw.text((LEFT - 8, y), _decade_label(exp), fill=TEXT, font=tick_font, anchor="rm")
        for k in range(2, 10):
            ym = y_of(k * 10**exp)
            if ym >= TOP:
                draw.line((LEFT - 3, ym, LEFT - 1, ym), fill=AXIS)

    # Bars (a zero month has none: a log axis cannot show 0), month ticks and labels.
    for i, month in enumerate(MONTHS):
        cx = LEFT + SLOT * i + SLOT // 2
        for v, x0, fill, edge in ((ips[i], cx - BAR, IP_COLOUR, IP_EDGE),
                                  (dls[i], cx, DL_COLOUR, DL_EDGE)):
            if v > 0:
                draw.rectangle((x0, min(y_of(v), BOTTOM - 1), x0 + BAR, BOTTOM),
                               fill=fill, outline=edge)
        draw.line((cx, BOTTOM + 1, cx, BOTTOM + 4), fill=AXIS)
        draw.text((cx, BOTTOM + 7), month, fill=TEXT, font=tick_font, anchor="mt")

    draw.rectangle((LEFT, TOP, RIGHT, BOTTOM), outline=AXIS)
    _legend(draw)
    _title(draw, title)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


_LOCK = threading.Lock()


def year_chart(name: str, year: Year) -> bytes:
    """PNG bytes of one year's chart, titled `<name> <year>`."""
    with _LOCK:
        return render(f"{name} {year.year}", year)
