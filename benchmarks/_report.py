"""The report: the environment, the table of every case, and the ratios between them."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from ._cases import CASES
from ._chart import chart_svg
from ._comparisons import COMPARISONS, Results, ratio_between, ratio_to_baseline
from ._memory import MemoryFigures
from ._settings import BACKENDS, BURST_CALLERS, Settings

LABEL_WIDTH: Final = 42
NS_WIDTH: Final = 14
RATIO_WIDTH: Final = 9
# The ratios' table is as wide as the main one: a label, then a ratio per backend.
COMPARISON_CELL: Final = 11
COMPARISON_WIDTH: Final = LABEL_WIDTH + (NS_WIDTH + RATIO_WIDTH - COMPARISON_CELL) * len(BACKENDS)
NOT_MEASURED: Final = "-"  # a cell of a cache that does not run on that backend, or was not loaded

# The files that ``--output DIR`` writes into DIR.
TABLE_FILE: Final = "benchmark-table.txt"
CHART_FILE: Final = "benchmark-chart.svg"


def _version_of(distribution: str) -> str:
    """Return an installed distribution's version, or "not installed"."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def environment_line() -> str:
    """Return the Python, the system and the versions that a run measures."""
    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"async-lru-anyio {_version_of('async-lru-anyio')}, anyio {_version_of('anyio')}, "
        f"trio {_version_of('trio')}"
    )


def _format_ratio(ratio: float) -> str:
    """Return a ratio with two decimals below 100, one above."""
    return f"{ratio:.2f}" if ratio < 100 else f"{ratio:.1f}"


def _cells(medians: Mapping[str, float], slug: str) -> str:
    """Return one backend's two cells of a row: ns per call and the ratio to the baseline."""
    if slug not in medians:
        return f"{NOT_MEASURED:>{NS_WIDTH}}{NOT_MEASURED:>{RATIO_WIDTH}}"
    ratio = _format_ratio(ratio_to_baseline(medians, slug))
    return f"{medians[slug]:>{NS_WIDTH},.0f}{ratio:>{RATIO_WIDTH}}"


@dataclass(frozen=True)
class Report:
    """The figures of one run, and how they were taken.

    *upstream_note* says which async-lru 2.4.0 was measured, or why its rows are empty.
    """

    mode: str
    settings: Settings
    upstream_note: str
    results: Results
    memory: MemoryFigures

    def lines(self) -> Iterator[str]:
        """Yield the whole report: the header, the table, then the ratios."""
        yield from self.header_lines()
        yield ""
        yield from self.table_lines()
        yield ""
        yield from self.comparison_lines()

    def text(self) -> str:
        """Return the whole report, one line each, ending with a newline."""
        return "".join(f"{line}\n" for line in self.lines())

    def header_lines(self) -> Iterator[str]:
        """Yield the lines that say what ran where, and how the figures were taken."""
        yield f"async_lru benchmarks, {self.mode} mode"
        yield environment_line()
        yield self.upstream_note
        yield (
            f"Figures are ns per call, medians of {self.settings.repetitions} runs "
            "in which the cases alternate;"
        )
        yield '"x await" is the ratio to a plain await measured in the same event loop run;'
        yield (
            f"burst rows are per caller ({BURST_CALLERS} callers per burst); "
            '"-" marks a row not measured on that backend.'
        )

    def table_lines(self) -> Iterator[str]:
        """Yield the table: the baselines, then each cache's rows under its name, then memory.

        A row has each backend's ns per call and ratio, or "-" where it was not measured.
        """
        columns = "".join(
            f"{backend + ' ns':>{NS_WIDTH}}{'x await':>{RATIO_WIDTH}}" for backend in BACKENDS
        )
        head = f"{'case':<{LABEL_WIDTH}}{columns}"
        yield head
        yield "-" * len(head)
        group = ""
        for case in CASES:
            if case.group != group:
                group = case.group
                yield group
            label = f"  {case.title(self.settings)}" if group else case.title(self.settings)
            cells = "".join(_cells(self.results[backend], case.slug) for backend in BACKENDS)
            yield f"{label:<{LABEL_WIDTH}}{cells}"
        memory = self.memory
        stored = f"bytes per entry, {memory.entries:,} stored"
        for label, size in ((stored, memory.plain), (f"{stored}, ttl", memory.with_ttl)):
            figure = f"{size:>{NS_WIDTH - 2},.0f} B"
            yield f"{label:<{LABEL_WIDTH}}{figure}  (tracemalloc; either backend)"

    def comparison_lines(self) -> Iterator[str]:
        """Yield the ratios between rows of the table, each backend in a column."""
        columns = "".join(f"{backend:>{COMPARISON_CELL}}" for backend in BACKENDS)
        head = f"{'ratio of two rows, within one run':<{COMPARISON_WIDTH}}{columns}"
        yield head
        yield "-" * len(head)
        for comparison in COMPARISONS:
            cells = ""
            for backend in BACKENDS:
                ratio = ratio_between(self.results[backend], comparison.slug, comparison.reference)
                cell = NOT_MEASURED if ratio is None else f"{_format_ratio(ratio)}x"
                cells += f"{cell:>{COMPARISON_CELL}}"
            yield f"{comparison.title(self.settings):<{COMPARISON_WIDTH}}{cells}"

    def chart(self) -> str:
        """Return the chart of the hit and miss costs of the three caches, as SVG."""
        notes = (
            f"Medians of {self.settings.repetitions} runs in which the cases alternate "
            f"({self.mode} mode); each panel has a scale of its own.",
            environment_line(),
        )
        return chart_svg(self.results, notes)

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write the report to *directory* as TABLE_FILE and the chart as CHART_FILE.

        Create *directory* if needed, and return the paths of the two files.
        """
        directory.mkdir(parents=True, exist_ok=True)
        table, chart = directory / TABLE_FILE, directory / CHART_FILE
        table.write_text(self.text(), encoding="utf-8")
        chart.write_text(self.chart(), encoding="utf-8")
        return table, chart


def print_lines(lines: Iterable[str]) -> None:
    """Print each line to standard output."""
    for line in lines:
        print(line)
    sys.stdout.flush()
