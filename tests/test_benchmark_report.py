"""The benchmark's report and chart, written from made-up figures (nothing is timed here)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.__main__ import parse_arguments
from benchmarks._cases import CASES
from benchmarks._chart import PANELS, PLOT_WIDTH, SERIES, SVG_NAMESPACE, _ticks, chart_svg
from benchmarks._comparisons import Results
from benchmarks._memory import MemoryFigures
from benchmarks._report import CHART_FILE, TABLE_FILE, Report
from benchmarks._settings import QUICK

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
THIS_LIBRARY, REFERENCE, PEER = (series.name for series in SERIES)
MEMORY = MemoryFigures(entries=2_000, plain=105.4, with_ttl=206.2)
# The hits and misses the chart shows; every other case gets a figure of its own below.
CHARTED = {
    "asyncio": {
        "await": 100.0,
        "hit": 342.0,
        "miss": 15_921.0,
        "peer-hit": 2_365.0,
        "peer-miss": 7_057.0,
        "reference-hit": 859.0,
        "reference-miss": 13_902.0,
    },
    "trio": {
        "await": 125.0,
        "hit": 435.0,
        "miss": 33_317.0,
        "peer-hit": 2_565.0,
        "peer-miss": 9_420.0,
    },
}


def made_up_results(*, reference: bool) -> dict[str, dict[str, float]]:
    """Return a figure for every case on each backend it runs on; async-lru's if *reference*."""
    results: dict[str, dict[str, float]] = {}
    for backend, charted in CHARTED.items():
        medians = results[backend] = {}
        for index, case in enumerate(CASES):
            if backend in case.backends and (reference or not case.reference):
                medians[case.slug] = charted.get(case.slug, 1_000.0 + 10 * index)
    return results


WITH_REFERENCE = made_up_results(reference=True)
WITHOUT_REFERENCE = made_up_results(reference=False)
BOTH = pytest.mark.parametrize(
    "results", [WITH_REFERENCE, WITHOUT_REFERENCE], ids=["with-async-lru", "without-async-lru"]
)


def svg_tag(name: str) -> str:
    """Return the qualified tag of an SVG element, as xml.etree names it."""
    return f"{{{SVG_NAMESPACE}}}{name}"


def parse(results: Results) -> ET.Element:
    """Return the root of the chart of *results*, parsed back."""
    return ET.fromstring(chart_svg(results, ["a note"]))


def texts(root: ET.Element) -> Iterator[str]:
    """Yield the whole text of each text element, tspans included."""
    for element in root.iter(svg_tag("text")):
        yield "".join(element.itertext())


def bars(root: ET.Element) -> Iterator[tuple[str, ET.Element]]:
    """Yield each bar with the key of its panel."""
    for panel in root.iter(svg_tag("g")):
        if panel.get("class") == "panel":
            for rect in panel.iter(svg_tag("rect")):
                if rect.get("class") == "bar":
                    yield panel.get("data-panel", ""), rect


def expected_bars(results: Results) -> set[tuple[str, str, str]]:
    """Return (panel, cache, backend) for each figure that the chart must draw."""
    return {
        (panel.key, series.name, backend)
        for panel in PANELS
        for series in SERIES
        for backend, medians in results.items()
        if series.slug(panel) in medians
    }


def figure_of(panel_key: str, rect: ET.Element, results: Results) -> float:
    """Return the figure that a bar of the panel *panel_key* draws."""
    series = next(series for series in SERIES if series.name == rect.get("data-series"))
    panel = next(panel for panel in PANELS if panel.key == panel_key)
    return results[rect.get("data-backend", "")][series.slug(panel)]


@BOTH
def test_chart_is_a_self_contained_svg_document(results: Results) -> None:
    """The chart parses as SVG with a size and a white background, and loads nothing."""
    root = parse(results)
    assert root.tag == svg_tag("svg")
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {width:g} {height:g}"
    assert 300 < height < 2_000
    assert root.find(svg_tag("title")) is not None
    background = root.find(svg_tag("rect"))
    assert background is not None
    assert background.get("fill") == "white"
    tags = {element.tag for element in root.iter()}
    assert not tags & {svg_tag(name) for name in ("image", "style", "script", "use", "a")}
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not [name for name in attributes if name.endswith("href")]


@BOTH
def test_chart_draws_one_bar_per_cache_backend_and_panel(results: Results) -> None:
    """Each figure of a hit or a miss is one bar, in its panel, named by cache and backend."""
    drawn = [
        (panel, rect.get("data-series", ""), rect.get("data-backend", ""))
        for panel, rect in bars(parse(results))
    ]
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == expected_bars(results)


def test_chart_with_async_lru_has_its_bars_on_asyncio_only() -> None:
    """async-lru 2.4.0 has a bar per panel on asyncio, and a note on trio instead of one."""
    root = parse(WITH_REFERENCE)
    reference = {
        (panel, rect.get("data-backend"))
        for panel, rect in bars(root)
        if rect.get("data-series") == REFERENCE
    }
    assert reference == {("hit", "asyncio"), ("miss", "asyncio")}
    assert list(texts(root)).count("runs on asyncio only") == len(PANELS)
    legend = next(g for g in root.iter(svg_tag("g")) if g.get("class") == "legend")
    assert list(texts(legend)) == [THIS_LIBRARY, REFERENCE, PEER]


def test_chart_without_async_lru_leaves_it_out() -> None:
    """Without async-lru's figures the chart says so once, and keeps no room for it."""
    root = parse(WITHOUT_REFERENCE)
    assert [text for text in texts(root) if REFERENCE in text] == [f"{REFERENCE}: not measured."]
    legend = next(g for g in root.iter(svg_tag("g")) if g.get("class") == "legend")
    assert list(texts(legend)) == [THIS_LIBRARY, PEER]
    assert "runs on asyncio only" not in list(texts(root))
    smaller = float(root.attrib["height"])
    assert smaller < float(parse(WITH_REFERENCE).attrib["height"])


def test_chart_notes_a_figure_missing_on_a_backend_the_cache_runs_on() -> None:
    """A cache with a miss but no hit on asyncio gets "not measured" in the hit panel."""
    results = {
        "asyncio": {k: v for k, v in WITH_REFERENCE["asyncio"].items() if k != "reference-hit"},
        "trio": WITH_REFERENCE["trio"],
    }
    root = parse(results)
    assert list(texts(root)).count("not measured") == 1
    assert ("hit", REFERENCE, "asyncio") not in {
        (panel, rect.get("data-series"), rect.get("data-backend")) for panel, rect in bars(root)
    }


def test_chart_labels_each_bar_with_its_figures() -> None:
    """Each bar's label and tooltip give its ns per call and its multiple of a plain await."""
    root = parse(WITH_REFERENCE)
    labels = set(texts(root))
    assert "342 ns, 3.4x await" in labels  # a hit on asyncio: 342 / 100
    assert "33,317 ns, 267x await" in labels  # a miss on trio: 33,317 / 125
    assert "(a plain await: 125 ns)" in "".join(texts(root))
    for panel, rect in bars(root):
        value = figure_of(panel, rect, WITH_REFERENCE)
        tooltip = rect.find(svg_tag("title"))
        assert tooltip is not None
        assert tooltip.text is not None
        assert f"{value:,.0f} ns" in tooltip.text
        assert tooltip.text.split(": ", 1)[1] in labels


@BOTH
def test_bars_of_a_panel_share_one_scale(results: Results) -> None:
    """Within a panel, bar lengths are proportional to the figures."""
    for panel in PANELS:
        drawn = [
            (figure_of(key, rect, results), float(rect.attrib["width"]))
            for key, rect in bars(parse(results))
            if key == panel.key
        ]
        largest, longest = max(drawn)
        assert longest > PLOT_WIDTH / 2  # the scale uses most of the width
        for figure, width in drawn:
            assert width == pytest.approx(figure * longest / largest, abs=0.2)


@pytest.mark.parametrize("largest", [0.7, 9.0, 342.0, 2_565.0, 33_317.0, 1e6])
def test_axis_ticks_are_round_and_reach_past_the_largest_figure(largest: float) -> None:
    """The axis has three to five equal steps of 1, 2, 2.5 or 5 times a power of ten."""
    ticks = _ticks(largest)
    step = ticks[1]
    assert ticks[0] == 0
    assert ticks[-1] >= largest > ticks[-2]
    assert 3 <= len(ticks) - 1 <= 5
    assert all(tick == pytest.approx(index * step) for index, tick in enumerate(ticks))
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(mantissa == pytest.approx(round_step) for round_step in (1, 2, 2.5, 5))


@BOTH
def test_report_writes_the_table_and_the_chart(results: Results, tmp_path: Path) -> None:
    """The folder is created; it holds the report as text and the chart as SVG."""
    report = Report("full", QUICK, "async-lru 2.4.0 not measured: no network", results, MEMORY)
    table, chart = report.write(tmp_path / "new" / "folder")
    assert (table.name, chart.name) == (TABLE_FILE, CHART_FILE)
    assert table.parent == chart.parent == tmp_path / "new" / "folder"
    assert table.read_text(encoding="utf-8") == report.text()
    assert ET.parse(chart).getroot().tag == svg_tag("svg")


def test_report_table_has_every_figure_and_ratio() -> None:
    """The table gives ns and x await per backend, and "-" where a cache was not measured."""
    report = Report("full", QUICK, "note", WITHOUT_REFERENCE, MEMORY)
    lines = report.text().splitlines()
    hit = next(line for line in lines if line.startswith("  hit  "))
    assert hit.split()[1:] == ["342", "3.42", "435", "3.48"]
    reference_rows = lines[lines.index(next(x for x in lines if x.startswith("async-lru 2.4.0"))) :]
    assert reference_rows[1].split()[1:] == ["-"] * 4
    memory = [line for line in lines if line.startswith("bytes per entry, 2,000 stored")]
    assert ["105 B" in memory[0], "206 B" in memory[1]] == [True, True]
    ratio = next(
        line for line in lines if line.startswith("miss / anyio.functools.lru_cache miss ")
    )
    assert ratio.split()[-2:] == ["2.26x", "3.54x"]  # 15,921 / 7,057 and 33,317 / 9,420
    unmeasured = next(line for line in lines if line.startswith("miss / async-lru 2.4.0 miss "))
    assert unmeasured.split()[-2:] == ["-", "-"]


def test_report_and_sources_speak_to_users() -> None:
    """Neither the report, nor the chart, nor the benchmarks' code speaks of goals or hosts."""
    report = Report("full", QUICK, "note", WITH_REFERENCE, MEMORY)
    sources = "".join(path.read_text() for path in sorted(BENCHMARKS.glob("*.py")))
    words = r"DESIGN\.md|design ask|section 5|this machine|shared machine|machine kind|target"
    for text in (report.text(), report.chart(), sources):
        assert re.search(words, text, re.IGNORECASE) is None


def test_output_option_names_a_folder() -> None:
    """``--output DIR`` gives a path; with ``--profile``, which writes no report, it is refused."""
    assert parse_arguments(["--quick", "--output", "docs/out"]).output == Path("docs/out")
    assert parse_arguments([]).output is None
    with pytest.raises(SystemExit):
        parse_arguments(["--profile", "hit", "--output", "out"])
