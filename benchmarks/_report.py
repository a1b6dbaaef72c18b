"""The printed report: the environment, the table and the targets."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version

from ._cases import CASES
from ._memory import MemoryFigures
from ._settings import BACKENDS, BURST_CALLERS, Settings
from ._targets import Results, Target, ratio_to_baseline

LABEL_WIDTH = 42
NS_WIDTH = 14
RATIO_WIDTH = 9
NOT_MEASURED = "-"  # a cell of a cache that does not run on that backend, or was not loaded


def _version_of(distribution: str) -> str:
    """Return an installed distribution's version, or "not installed"."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def header_lines(mode: str, settings: Settings, upstream_note: str) -> Iterator[str]:
    """Yield the lines that say what ran where, and how the figures were taken.

    *upstream_note* says where async-lru 2.4.0 was loaded from, or why its rows are empty.
    """
    yield f"async_lru benchmarks, {mode} mode"
    yield (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}, {platform.machine()}"
    )
    yield (
        f"async-lru-anyio {_version_of('async-lru-anyio')}, anyio {_version_of('anyio')}, "
        f"trio {_version_of('trio')}"
    )
    yield upstream_note
    yield (
        f"Figures are ns per call, medians of {settings.repetitions} interleaved runs "
        "(the cases alternate within each run);"
    )
    yield '"x await" is the ratio to the plain await measured in the same event loop run;'
    yield (
        f"burst rows are per caller ({BURST_CALLERS} callers per burst); "
        '"-" marks a row not measured on that backend.'
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


def table_lines(settings: Settings, results: Results, memory: MemoryFigures) -> Iterator[str]:
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
        label = f"  {case.title(settings)}" if group else case.title(settings)
        cells = "".join(_cells(results[backend], case.slug) for backend in BACKENDS)
        yield f"{label:<{LABEL_WIDTH}}{cells}"
    stored = f"bytes per entry, {memory.entries:,} stored"
    for label, size in ((stored, memory.plain), (f"{stored}, ttl", memory.with_ttl)):
        yield f"{label:<{LABEL_WIDTH}}{size:>{NS_WIDTH - 2},.0f} B  (tracemalloc; either backend)"


def target_lines(targets: list[Target]) -> Iterator[str]:
    """Yield the performance targets, each with its figure and verdict."""
    met = sum(target.met for target in targets)
    unmeasured = sum(target.value is None for target in targets)
    counts = f"{met} of {len(targets)} met" + (f", {unmeasured} not measured" if unmeasured else "")
    yield f"Targets, each a ratio within this run or bytes (informational): {counts}"
    for target in targets:
        yield f"  {target.line()}"


def print_lines(lines: Iterator[str]) -> None:
    """Print each line to standard output."""
    for line in lines:
        print(line)
    sys.stdout.flush()
