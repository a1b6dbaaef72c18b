"""Ratios between the cases of one run: how the caches compare, on each backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ._cases import BASELINE, PEER
from ._settings import SMALL_ENTRIES, Settings
from ._upstream import VERSION

# Median ns per call by backend, then by case slug; a case not measured has no entry.
Results = Mapping[str, Mapping[str, float]]


def ratio_to_baseline(medians: Mapping[str, float], slug: str) -> float:
    """Return a case's median as a multiple of the plain await of the same run."""
    return medians[slug] / medians[BASELINE]


def ratio_between(medians: Mapping[str, float], slug: str, reference: str) -> float | None:
    """Return case *slug*'s median over case *reference*'s, or None if either is missing."""
    if slug not in medians or reference not in medians:
        return None
    return medians[slug] / medians[reference]


@dataclass(frozen=True)
class Comparison:
    """One line of the comparisons: case *slug*'s median over case *reference*'s."""

    label: str
    slug: str
    reference: str

    def title(self, settings: Settings) -> str:
        """Return the label with the sizes of *settings* filled in."""
        return self.label.format(large=settings.large_entries)


_REFERENCE: Final = f"async-lru {VERSION}"
_SUSPENDS: Final = ", function suspends once"

# Each ratio compares two rows of the table measured in the same event loop run.
COMPARISONS: Final = (
    Comparison("hit / plain await", "hit", BASELINE),
    Comparison("hit, ttl / hit", "hit-ttl", "hit"),
    Comparison(f"hit, {{large:,}} stored / hit, {SMALL_ENTRIES} stored", "hit-large", "hit-small"),
    Comparison(f"hit / {_REFERENCE} hit", "hit", "reference-hit"),
    Comparison(f"hit / {PEER} hit", "hit", "peer-hit"),
    Comparison(f"miss / {_REFERENCE} miss", "miss", "reference-miss"),
    Comparison(f"miss / {_REFERENCE} miss{_SUSPENDS}", "miss-suspend", "reference-miss-suspend"),
    Comparison(f"miss / {PEER} miss", "miss", "peer-miss"),
    Comparison(f"miss / {PEER} miss{_SUSPENDS}", "miss-suspend", "peer-miss-suspend"),
)
