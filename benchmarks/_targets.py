"""The targets of DESIGN.md section 5, checked against one run's figures (informational)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._cases import BASELINE
from ._memory import MemoryFigures
from ._settings import SMALL_ENTRIES, Settings

# Median ns per call by backend, then by case slug.
Results = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Target:
    """One target: the measured figure, its limit, and the unit both are written in."""

    name: str
    value: float
    limit: float
    unit: str  # "x" for a ratio, " B" for bytes

    @property
    def met(self) -> bool:
        """Return whether the figure is within its limit."""
        return self.value <= self.limit

    def line(self) -> str:
        """Return e.g. ``hit on asyncio 3.40x (target ≤3x): not met``."""
        verdict = "met" if self.met else "not met"
        value = f"{self.value:.0f}" if self.unit == " B" else f"{self.value:.2f}"
        return f"{self.name} {value}{self.unit} (target ≤{self.limit:g}{self.unit}): {verdict}"


def ratio_to_baseline(medians: Mapping[str, float], slug: str) -> float:
    """Return a case's median as a multiple of the plain await of the same run."""
    return medians[slug] / medians[BASELINE]


def backend_targets(backend: str, medians: Mapping[str, float], large: int) -> list[Target]:
    """Return the targets that hold on each backend by itself (*large*: entries stored)."""
    return [
        Target(f"hit on {backend}", ratio_to_baseline(medians, "hit"), 3.0, "x"),
        Target(f"hit with ttl / hit on {backend}", medians["hit-ttl"] / medians["hit"], 1.35, "x"),
        Target(
            f"hit {large:,} / {SMALL_ENTRIES} stored on {backend}",
            medians["hit-large"] / medians["hit-small"],
            1.2,
            "x",
        ),
    ]


def cross_targets(results: Results, memory: MemoryFigures) -> list[Target]:
    """Return the targets that compare backends, the peer, or memory."""
    asyncio, trio = results["asyncio"], results["trio"]
    return [
        Target(
            "hit trio / hit asyncio (each as x await)",
            ratio_to_baseline(trio, "hit") / ratio_to_baseline(asyncio, "hit"),
            1.1,
            "x",
        ),
        Target("miss on asyncio", ratio_to_baseline(asyncio, "miss"), 40.0, "x"),
        Target(
            "miss on trio / anyio.functools.lru_cache miss on trio",
            trio["miss"] / trio["peer-miss"],
            1.0,
            "x",
        ),
        Target("bytes per stored entry", memory.plain, 200.0, " B"),
        Target("bytes per stored entry, ttl", memory.with_ttl, 260.0, " B"),
    ]


def all_targets(results: Results, memory: MemoryFigures, settings: Settings) -> list[Target]:
    """Return every target of section 5, per backend first."""
    targets = [
        target
        for backend, medians in results.items()
        for target in backend_targets(backend, medians, settings.large_entries)
    ]
    return targets + cross_targets(results, memory)
