"""The timed loops, fresh keys, and the interleaved repetitions that take medians."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

import anyio

from ._settings import BURST_CALLERS

# Anything awaited per call: a cached function, the peer's, or the plain baseline.
AsyncFunction = Callable[[int], Coroutine[Any, Any, object]]


@dataclass(frozen=True)
class Measurement:
    """One timed run: the time it took and how many calls it made."""

    elapsed_ns: int
    calls: int

    @property
    def ns_per_call(self) -> float:
        """Return the time per call in nanoseconds."""
        return self.elapsed_ns / self.calls


# A prepared case: each call times one run of it.
Trial = Callable[[], Awaitable[Measurement]]


class FreshKeys:
    """Hand out int keys that this instance has never handed out before."""

    def __init__(self, first: int = 1_000_000_000) -> None:
        self._next = first

    def take(self, count: int) -> list[int]:
        """Return *count* new keys, built now so that the timed loop does not build them."""
        keys = list(range(self._next, self._next + count))
        self._next += count
        return keys


async def timed_loop(function: AsyncFunction, keys: Sequence[int]) -> Measurement:
    """Await ``function(key)`` for each key in a tight loop and time the whole loop.

    Every per-call case, the baseline included, uses this very loop, and nothing is
    subtracted: the ratio to the baseline is what compares them.
    """
    start = perf_counter_ns()
    for key in keys:
        await function(key)
    return Measurement(perf_counter_ns() - start, len(keys))


async def timed_bursts(function: AsyncFunction, keys: Sequence[int]) -> Measurement:
    """For each key, call ``function(key)`` from BURST_CALLERS tasks of one task group.

    The time covers starting the tasks, running them and leaving the task group; the
    measurement counts one call per caller.
    """
    start = perf_counter_ns()
    for key in keys:
        async with anyio.create_task_group() as group:
            for _ in range(BURST_CALLERS):
                group.start_soon(function, key)
    return Measurement(perf_counter_ns() - start, len(keys) * BURST_CALLERS)


async def interleaved_medians(
    trials: Sequence[tuple[str, Trial]], repetitions: int
) -> dict[str, float]:
    """Run every trial once per repetition, in turn, and return each one's median ns per call.

    Alternating the cases within each repetition makes noise (other processes, changes
    of clock speed) hit all of them alike; the starting case rotates so that no case
    always runs first. One untimed repetition warms everything up first. Objects alive
    before the runs (the large prefilled caches) are frozen out of the garbage
    collector's scans.
    """
    for _, trial in trials:
        await trial()
    gc.collect()
    gc.freeze()
    try:
        samples: dict[str, list[float]] = {slug: [] for slug, _ in trials}
        for repetition in range(repetitions):
            shift = repetition % len(trials)
            for slug, trial in [*trials[shift:], *trials[:shift]]:
                samples[slug].append((await trial()).ns_per_call)
    finally:
        gc.unfreeze()
    return {slug: statistics.median(values) for slug, values in samples.items()}
