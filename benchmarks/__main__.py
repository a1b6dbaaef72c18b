"""``python -m benchmarks [--quick] [--output DIR] [--profile CASE [--backend trio]]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import anyio

from ._cases import CASES, CASES_BY_SLUG, release_stored_caches
from ._memory import measure_memory
from ._profile import profile_case
from ._report import CHART_FILE, TABLE_FILE, Report, print_lines
from ._settings import BACKENDS, FULL, QUICK, Settings
from ._timing import interleaved_medians
from ._upstream import load_upstream


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options; exit with a usage message if they conflict."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Time async_lru's hits and misses on asyncio and trio, beside "
            "anyio.functools.lru_cache and async-lru 2.4.0 (fetched with pip at run time), "
            "and print the figures with the ratios between them."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke mode: tiny sizes, a few seconds, for CI"
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help=(
            f"also write the report to DIR/{TABLE_FILE} and a chart of the hit and miss "
            f"costs to DIR/{CHART_FILE} (DIR is created if needed)"
        ),
    )
    parser.add_argument(
        "--profile",
        choices=list(CASES_BY_SLUG),
        metavar="CASE",
        help=f"run one case under cProfile instead; one of: {', '.join(CASES_BY_SLUG)}",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="asyncio",
        help="the backend --profile runs on (default: asyncio)",
    )
    arguments = parser.parse_args(argv)
    if arguments.profile is not None and arguments.output is not None:
        parser.error("--output writes the report, which --profile does not make")
    return arguments


def measure_backend(backend: str, settings: Settings) -> dict[str, float]:
    """Return the median ns per call of each case *backend* runs, all in one run of it."""
    print(f"measuring on {backend}...", file=sys.stderr, flush=True)
    return anyio.run(_measure_cases, backend, settings, backend=backend)


async def _measure_cases(backend: str, settings: Settings) -> dict[str, float]:
    """Prepare each case *backend* runs in this event loop, then time them interleaved."""
    cases = [case for case in CASES if case.runs_on(backend)]
    trials = [(case.slug, await case.prepare(settings)) for case in cases]
    return await interleaved_medians(trials, settings.repetitions)


def run_benchmarks(mode: str, settings: Settings, output: Path | None) -> None:
    """Measure every case on each backend and the memory per entry; print the report.

    With *output*, also write the report and its chart into that folder.
    """
    started = time.perf_counter()
    upstream = load_upstream()  # before any timing, which a download would disturb
    if upstream.wheel is not None:
        print(f"async-lru 2.4.0 from {upstream.wheel}", file=sys.stderr, flush=True)
    results = {backend: measure_backend(backend, settings) for backend in BACKENDS}
    release_stored_caches()
    print("measuring memory...", file=sys.stderr, flush=True)
    memory = measure_memory(settings.memory_entries)
    report = Report(mode, settings, upstream.note, results, memory)
    print_lines(report.lines())
    print()
    if output is not None:
        for path in report.write(output):
            print(f"wrote {path}")
    print(f"wall time: {time.perf_counter() - started:.1f} s")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks, or profile one case, as the command line asks."""
    arguments = parse_arguments(argv)
    settings = QUICK if arguments.quick else FULL
    if arguments.profile is not None:
        case = CASES_BY_SLUG[arguments.profile]
        if arguments.backend not in case.backends:
            sys.exit(f"{case.slug} runs on {' and '.join(case.backends)} only")
        if not case.runs_on(arguments.backend):
            sys.exit(load_upstream().note)
        profile_case(case, arguments.backend, settings)
    else:
        run_benchmarks("quick" if arguments.quick else "full", settings, arguments.output)


if __name__ == "__main__":
    main()
