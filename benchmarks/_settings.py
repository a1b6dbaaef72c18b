"""How much work each mode does: the full measurement and the quick smoke run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

BACKENDS: Final = ("asyncio", "trio")
BURST_CALLERS: Final = 100  # tasks calling one key of an empty cache at once
SMALL_ENTRIES: Final = 100  # entries stored for the "hit, 100 stored" row
HOT_KEYS: Final = 100  # keys cycled through by both stored-size hit rows
TTL_SECONDS: Final = 3600.0  # long enough that nothing expires while measured


@dataclass(frozen=True)
class Settings:
    """The sizes of one benchmark run."""

    repetitions: int  # interleaved runs per case; medians are taken over these
    hit_calls: int  # calls per timed loop of a hit case (and of the baseline)
    miss_calls: int  # calls per timed loop of a miss case
    bursts: int  # bursts of BURST_CALLERS callers per timed burst run
    large_entries: int  # entries stored for the "hit, N stored" row
    memory_entries: int  # entries stored to measure bytes per entry
    profile_repetitions: int  # timed runs of the case profiled by --profile


# About a minute on Python 3.11 on an otherwise idle computer, a third of it spent storing
# the million entries (one miss each); up to two minutes on a busy one.
FULL: Final = Settings(
    repetitions=15,
    hit_calls=50_000,
    miss_calls=4_000,
    bursts=15,
    large_entries=1_000_000,
    # 50,000 and 100,000 both fall just past a doubling of a dict's table, the least
    # favourable point of its growth, and give the same figure; 50,000 in half the time.
    memory_entries=50_000,
    profile_repetitions=5,
)

QUICK: Final = Settings(
    repetitions=2,
    hit_calls=2_000,
    miss_calls=200,
    bursts=2,
    large_entries=10_000,
    memory_entries=2_000,
    profile_repetitions=1,
)
