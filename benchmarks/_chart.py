"""A chart of what a hit and a miss cost, for each cache on each backend, as SVG.

It is built with ``xml.etree`` alone: no plotting package, and no fonts, styles or
images to fetch, so that the file shows the same wherever it is opened. It paints
its own white background, so that it stays readable on a dark page.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ._cases import BASELINE, CASES_BY_SLUG, PEER
from ._settings import BACKENDS
from ._upstream import VERSION

SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
FONTS: Final = "DejaVu Sans, Helvetica, Arial, sans-serif"  # whichever the reader has


@dataclass(frozen=True)
class Series:
    """One cache of the chart: its name, the prefix of its cases' slugs, its colour."""

    name: str
    prefix: str
    color: str

    def slug(self, panel: Panel) -> str:
        """Return the slug of this cache's case that *panel* shows."""
        return f"{self.prefix}{panel.key}"


@dataclass(frozen=True)
class Panel:
    """One panel of the chart: the case it shows of every cache, and its title."""

    key: str
    title: str


# Colours from Okabe and Ito's palette, which readers with colour blindness tell apart.
SERIES: Final = (
    Series("async-lru-anyio", "", "#0072B2"),
    Series(f"async-lru {VERSION}", "reference-", "#E69F00"),
    Series(PEER, "peer-", "#009E73"),
)
# A miss costs fifty to a hundred hits: each panel has a scale of its own.
PANELS: Final = (
    Panel("hit", "Hit: the key is stored (maxsize=128)"),
    Panel("miss", "Miss: a new key on each call (maxsize=None)"),
)

WIDTH: Final = 760
MARGIN: Final = 16
PLOT_LEFT: Final = 214  # the series' names go left of it, the bars right of it
PLOT_WIDTH: Final = 350  # the longest bar; its value label goes right of it
ROW: Final = 20
BAR: Final = 14
GROUP_HEAD: Final = 22
GROUP_GAP: Final = 6
TEXT: Final = "#222222"
MUTED: Final = "#555555"
GRID: Final = "#dddddd"


def chart_svg(
    results: Mapping[str, Mapping[str, float]],
    notes: Sequence[str] = (),
    backends: Sequence[str] = BACKENDS,
) -> str:
    """Return an SVG document charting the hit and the miss cost of each cache.

    *results* maps each backend to the median ns per call of each case slug measured
    on it. Each panel groups the bars by backend; a cache with no figure on any backend
    is left out, with a line under the title that says so, and one missing on a single
    backend gets a note in place of its bar. *notes* are lines printed under the title.
    """
    present = [
        series
        for series in SERIES
        if any(series.slug(panel) in results[backend] for backend in backends for panel in PANELS)
    ]
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "version": "1.1",
            "font-family": FONTS,
            "fill": TEXT,
            "role": "img",
        },
    )
    title = "What a cache hit and a cache miss cost"
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "rect", {"width": "100%", "height": "100%", "fill": "white"})
    y = 30.0
    _text(svg, MARGIN, y, title, size=17, weight="bold")
    missing = [f"{series.name}: not measured." for series in SERIES if series not in present]
    for note in [*notes, *missing]:
        y += 17
        _text(svg, MARGIN, y, note, size=11, fill=MUTED)
    y += 26
    _legend(svg, y, present)
    y += 30
    for panel in PANELS:
        y = _panel(svg, y, panel, present, results, backends)
    svg.set("width", str(WIDTH))
    svg.set("height", f"{y:.0f}")
    svg.set("viewBox", f"0 0 {WIDTH} {y:.0f}")
    ET.indent(svg)
    return ET.tostring(svg, encoding="unicode", xml_declaration=False) + "\n"


def _text(
    parent: ET.Element,
    x: float,
    y: float,
    content: str,
    *,
    size: float = 12,
    weight: str = "normal",
    fill: str = TEXT,
    anchor: str = "start",
    style: str = "normal",
) -> ET.Element:
    """Append a text element to *parent* and return it; (x, y) is its baseline's start."""
    attributes = {"x": _number(x), "y": _number(y), "font-size": _number(size)}
    for name, value, default in (
        ("font-weight", weight, "normal"),
        ("fill", fill, TEXT),
        ("text-anchor", anchor, "start"),
        ("font-style", style, "normal"),
    ):
        if value != default:
            attributes[name] = value
    element = ET.SubElement(parent, "text", attributes)
    element.text = content
    return element


def _number(value: float) -> str:
    """Return a coordinate with at most one decimal."""
    return f"{value:.1f}".removesuffix(".0")


def _legend(svg: ET.Element, y: float, present: Iterable[Series]) -> None:
    """Draw a swatch and the name of each cache shown, in one row whose middle is at *y*."""
    legend = ET.SubElement(svg, "g", {"class": "legend"})
    x = float(MARGIN)
    for series in present:
        swatch = {"x": _number(x), "y": _number(y - 6), "width": "12", "height": "12"}
        ET.SubElement(legend, "rect", {**swatch, "fill": series.color})
        _text(legend, x + 17, y + 4, series.name)
        x += 17 + 7 * len(series.name) + 24  # a generous width per character


def _panel(
    svg: ET.Element,
    y: float,
    panel: Panel,
    present: Sequence[Series],
    results: Mapping[str, Mapping[str, float]],
    backends: Sequence[str],
) -> float:
    """Draw *panel* with its top at *y*: title, bars by backend, axis. Return its bottom."""
    group = ET.SubElement(svg, "g", {"class": "panel", "data-panel": panel.key})
    _text(group, MARGIN, y, panel.title, size=14, weight="bold")
    grid = ET.SubElement(group, "g", {"class": "grid"})  # drawn first, under the bars
    values = [
        results[backend][series.slug(panel)]
        for backend in backends
        for series in present
        if series.slug(panel) in results[backend]
    ]
    ticks = _ticks(max(values, default=0.0))
    scale = PLOT_WIDTH / ticks[-1]
    top = y + 8
    y = top
    for backend in backends:
        medians = results[backend]
        y += GROUP_HEAD
        head = _text(group, MARGIN, y - 6, backend, size=12, weight="bold")
        if BASELINE in medians:
            attributes = {"dx": "8", "font-weight": "normal", "fill": MUTED}
            plain = ET.SubElement(head, "tspan", attributes)
            plain.text = f"(a plain await: {medians[BASELINE]:,.0f} ns)"
        for series in present:
            _row(group, y, panel, series, backend, medians, scale)
            y += ROW
        y += GROUP_GAP
    bottom = y
    for tick in ticks:
        x = PLOT_LEFT + tick * scale
        line = {"x1": _number(x), "x2": _number(x), "y1": _number(top), "y2": _number(bottom)}
        ET.SubElement(grid, "line", {**line, "stroke": GRID})
        _text(grid, x, bottom + 14, _tick_label(tick), size=10, fill=MUTED, anchor="middle")
    axis = {"x1": str(PLOT_LEFT), "x2": str(PLOT_LEFT), "y1": _number(top), "y2": _number(bottom)}
    ET.SubElement(group, "line", {**axis, "stroke": TEXT})
    _text(
        group,
        PLOT_LEFT + PLOT_WIDTH / 2,
        bottom + 32,
        "ns per call (shorter is faster)",
        size=11,
        anchor="middle",
    )
    return bottom + 62


def _row(
    group: ET.Element,
    y: float,
    panel: Panel,
    series: Series,
    backend: str,
    medians: Mapping[str, float],
    scale: float,
) -> None:
    """Draw one cache's bar and its value, or a note of why it has none, in a row at *y*."""
    middle = y + ROW / 2
    _text(group, MARGIN + 12, middle + 4, series.name, size=12)
    slug = series.slug(panel)
    if slug not in medians:
        runs_here = backend in CASES_BY_SLUG[slug].backends
        note = (
            "not measured"
            if runs_here
            else f"runs on {' and '.join(CASES_BY_SLUG[slug].backends)} only"
        )
        _text(group, PLOT_LEFT + 6, middle + 4, note, size=11, fill=MUTED, style="italic")
        return
    value = medians[slug]
    width = max(value * scale, 1.0)
    label = f"{value:,.0f} ns"
    if BASELINE in medians:
        label += f", {_ratio_label(value / medians[BASELINE])}x await"
    bar = ET.SubElement(
        group,
        "rect",
        {
            "class": "bar",
            "data-series": series.name,
            "data-backend": backend,
            "x": str(PLOT_LEFT),
            "y": _number(middle - BAR / 2),
            "width": _number(width),
            "height": str(BAR),
            "fill": series.color,
        },
    )
    ET.SubElement(bar, "title").text = f"{series.name}, {panel.key} on {backend}: {label}"
    value_label = _text(group, PLOT_LEFT + width + 6, middle + 4, label, size=11)
    value_label.set("class", "value")


def _ratio_label(ratio: float) -> str:
    """Return a multiple of a plain await: one decimal below 10, none above."""
    return f"{ratio:.1f}" if ratio < 10 else f"{ratio:,.0f}"


def _ticks(largest: float) -> list[float]:
    """Return round values from 0 to at least *largest*: three to five equal steps.

    The step is the smallest of 1, 2, 2.5 and 5 times a power of ten that reaches
    *largest* within five steps, so that the longest bar spans most of the axis.
    """
    if largest <= 0:
        return [0.0, 1.0]
    magnitude = 10 ** math.floor(math.log10(largest / 5))
    step = next(
        factor * magnitude for factor in (1, 2, 2.5, 5, 10) if largest / (factor * magnitude) <= 5
    )
    count = math.ceil(largest / step - 1e-9)
    return [index * step for index in range(count + 1)]


def _tick_label(tick: float) -> str:
    """Return a tick's value, without decimals when it has none."""
    return f"{tick:,.0f}" if tick == round(tick) else f"{tick:g}"
