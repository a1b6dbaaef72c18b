"""``--profile CASE``: one case under cProfile, for whoever optimizes the hot paths."""

from __future__ import annotations

import cProfile
import pstats
import sys

import anyio

from ._cases import Case
from ._settings import Settings

TOP_FUNCTIONS = 25


def profile_case(case: Case, backend: str, settings: Settings) -> None:
    """Profile the timed runs of *case* on *backend*; print the top functions by tottime.

    The case is prepared and run once before the profiler starts, so that neither its
    setup (prefilling) nor first-call costs show.
    """
    profiler = cProfile.Profile()
    anyio.run(_profiled_trials, case, settings, profiler, backend=backend)
    print(f"{case.slug} on {backend}: {settings.profile_repetitions} timed runs, by tottime")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(TOP_FUNCTIONS)


async def _profiled_trials(case: Case, settings: Settings, profiler: cProfile.Profile) -> None:
    """Prepare *case*, warm it up, then run it with *profiler* enabled."""
    trial = await case.prepare(settings)
    await trial()
    profiler.enable()
    try:
        for _ in range(settings.profile_repetitions):
            await trial()
    finally:
        profiler.disable()
