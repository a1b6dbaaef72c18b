"""The performance targets, checked against one run's figures (informational)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from ._cases import BASELINE
from ._memory import MemoryFigures
from ._settings import SMALL_ENTRIES, Settings
from ._upstream import VERSION

# Median ns per call by backend, then by case slug; a case not measured has no entry.
Results = Mapping[str, Mapping[str, float]]

# From Python 3.12 an asyncio miss can start the computation eagerly, inside the call,
# and so skip the event-loop round trip that async-lru 2.4.0's task waits for.
EAGER_START = sys.version_info >= (3, 12)


@dataclass(frozen=True)
class Target:
    """One target: the measured figure (None if not measured), its limit, and their unit."""

    name: str
    value: float | None
    limit: float
    unit: str  # "x" for a ratio, " B" for bytes

    @property
    def met(self) -> bool:
        """Return whether the figure was measured and is within its limit."""
        return self.value is not None and self.value <= self.limit

    def line(self) -> str:
        """Return e.g. ``hit / plain await on asyncio 3.40x (target ≤3x): not met``."""
        limit = f"target ≤{self.limit:g}{self.unit}"
        if self.value is None:
            return f"{self.name} ({limit}): not measured"
        figure = _figure(self.value, self.limit, self.unit)
        verdict = "met" if self.met else "not met"
        return f"{self.name} {figure}{self.unit} ({limit}): {verdict}"


def _figure(value: float, limit: float, unit: str) -> str:
    """Return *value* rounded, but never to *limit* unless it is the limit.

    A ratio of 1.3512 shown as "1.35" against a limit of 1.35 would read as met.
    """
    digits = 0 if unit == " B" else 2
    text = f"{value:.{digits}f}"
    while float(text) == limit != value and digits < 6:
        digits += 1
        text = f"{value:.{digits}f}"
    return text


def ratio_to_baseline(medians: Mapping[str, float], slug: str) -> float:
    """Return a case's median as a multiple of the plain await of the same run."""
    return medians[slug] / medians[BASELINE]


def ratio_between(medians: Mapping[str, float], slug: str, reference: str) -> float | None:
    """Return case *slug*'s median over case *reference*'s, or None if either is missing."""
    if slug not in medians or reference not in medians:
        return None
    return medians[slug] / medians[reference]


def backend_targets(backend: str, medians: Mapping[str, float], large: int) -> list[Target]:
    """Return the targets that hold on each backend by itself (*large*: entries stored)."""
    return [
        Target(f"hit / plain await on {backend}", ratio_to_baseline(medians, "hit"), 3.0, "x"),
        Target(f"hit with ttl / hit on {backend}", medians["hit-ttl"] / medians["hit"], 1.35, "x"),
        Target(
            f"stale hit / (hit with ttl + runner alone) on {backend}",
            medians["hit-stale"] / (medians["hit-ttl"] + medians["runner-alone"]),
            1.0,
            "x",
        ),
        Target(
            f"hit {large:,} / {SMALL_ENTRIES} stored on {backend}",
            medians["hit-large"] / medians["hit-small"],
            1.2,
            "x",
        ),
    ]


def miss_targets(results: Results) -> list[Target]:
    """Return the miss targets: against async-lru 2.4.0 on asyncio, the anyio peer on trio.

    The references differ because async-lru 2.4.0 does not run on trio; on trio the
    peer, which runs the function in the caller's task and cannot be closed, is the
    floor this library's miss pays a bounded multiple of.
    """
    asyncio, trio = results["asyncio"], results["trio"]
    reference = f"async-lru {VERSION} miss"
    peer = "anyio.functools.lru_cache miss"
    suspends = ", function suspends once"
    return [
        Target(
            f"miss / {reference} on asyncio" + (" (Python 3.12+: eager start)" * EAGER_START),
            ratio_between(asyncio, "miss", "reference-miss"),
            0.5 if EAGER_START else 1.0,
            "x",
        ),
        Target(
            f"miss / {reference} on asyncio{suspends}",
            ratio_between(asyncio, "miss-suspend", "reference-miss-suspend"),
            1.0,
            "x",
        ),
        Target(f"miss / {peer} on trio", ratio_between(trio, "miss", "peer-miss"), 3.0, "x"),
        Target(
            f"miss / {peer} on trio{suspends}",
            ratio_between(trio, "miss-suspend", "peer-miss-suspend"),
            3.0,
            "x",
        ),
    ]


def cross_targets(results: Results, memory: MemoryFigures) -> list[Target]:
    """Return the targets that compare backends, or bound memory."""
    asyncio, trio = results["asyncio"], results["trio"]
    return [
        Target(
            "hit trio / hit asyncio (each as x await)",
            ratio_to_baseline(trio, "hit") / ratio_to_baseline(asyncio, "hit"),
            1.1,
            "x",
        ),
        Target("bytes per stored entry", memory.plain, 200.0, " B"),
        Target("bytes per stored entry, ttl", memory.with_ttl, 260.0, " B"),
    ]


def all_targets(results: Results, memory: MemoryFigures, settings: Settings) -> list[Target]:
    """Return every target: per backend first, then the misses, then the rest."""
    targets = [
        target
        for backend, medians in results.items()
        for target in backend_targets(backend, medians, settings.large_entries)
    ]
    return targets + miss_targets(results) + cross_targets(results, memory)
