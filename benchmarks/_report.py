"""The printed report: the environment, the table and the targets."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version

from ._cases import CASES
from ._memory import MemoryFigures
from ._settings import BACKENDS, BURST_CALLERS, Settings
from ._targets import Results, Target, ratio_to_baseline

LABEL_WIDTH = 40
NS_WIDTH = 14
RATIO_WIDTH = 9


def _version_of(distribution: str) -> str:
    """Return an installed distribution's version, or "not installed"."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def header_lines(mode: str, settings: Settings) -> Iterator[str]:
    """Yield the lines that say what ran where, and how the figures were taken."""
    yield f"async_lru benchmarks, {mode} mode"
    yield (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}, {platform.machine()}"
    )
    yield (
        f"async-lru-anyio {_version_of('async-lru-anyio')}, anyio {_version_of('anyio')}, "
        f"trio {_version_of('trio')}"
    )
    yield (
        f"Figures are ns per call, medians of {settings.repetitions} interleaved runs "
        "(the cases alternate within each run);"
    )
    yield (
        '"x await" is the ratio to the plain await measured in the same event loop run; '
        f"burst rows are per caller ({BURST_CALLERS} callers per burst)."
    )


def _format_ratio(ratio: float) -> str:
    """Return a ratio with two decimals below 100, one above."""
    return f"{ratio:.2f}" if ratio < 100 else f"{ratio:.1f}"


def table_lines(settings: Settings, results: Results, memory: MemoryFigures) -> Iterator[str]:
    """Yield the table: one row per case with each backend's ns and ratio, then memory."""
    columns = "".join(
        f"{backend + ' ns':>{NS_WIDTH}}{'x await':>{RATIO_WIDTH}}" for backend in BACKENDS
    )
    head = f"{'case':<{LABEL_WIDTH}}{columns}"
    yield head
    yield "-" * len(head)
    for case in CASES:
        cells = "".join(
            f"{results[backend][case.slug]:>{NS_WIDTH},.0f}"
            f"{_format_ratio(ratio_to_baseline(results[backend], case.slug)):>{RATIO_WIDTH}}"
            for backend in BACKENDS
        )
        yield f"{case.title(settings):<{LABEL_WIDTH}}{cells}"
    stored = f"bytes per entry, {memory.entries:,} stored"
    for label, size in ((stored, memory.plain), (f"{stored}, ttl", memory.with_ttl)):
        yield f"{label:<{LABEL_WIDTH}}{size:>{NS_WIDTH - 2},.0f} B  (tracemalloc; either backend)"


def target_lines(targets: list[Target]) -> Iterator[str]:
    """Yield the targets of DESIGN.md section 5, each with its verdict."""
    met = sum(target.met for target in targets)
    yield f"DESIGN.md section 5 targets (informational): {met} of {len(targets)} met"
    for target in targets:
        yield f"  {target.line()}"


def print_lines(lines: Iterator[str]) -> None:
    """Print each line to standard output."""
    for line in lines:
        print(line)
    sys.stdout.flush()
