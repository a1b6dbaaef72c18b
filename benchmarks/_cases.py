"""The measured cases: what each one builds before timing, and what it times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Final

import anyio.lowlevel
from anyio.functools import lru_cache

from async_lru import alru_cache

from ._settings import BURST_CALLERS, HOT_KEYS, SMALL_ENTRIES, TTL_SECONDS, Settings
from ._timing import FreshKeys, Measurement, Trial, timed_bursts, timed_loop

Source = Callable[[int], Coroutine[Any, Any, int]]


@dataclass(frozen=True)
class Case:
    """One row of the table: a name for the command line, a label, and its preparation.

    *prepare* builds the case inside the event loop (caches, prefilled entries) and
    returns the trial that times one run of it.
    """

    slug: str
    label: str
    prepare: Callable[[Settings], Awaitable[Trial]]

    def title(self, settings: Settings) -> str:
        """Return the label with the sizes of *settings* filled in."""
        return self.label.format(large=settings.large_entries)


def new_source() -> Source:
    """Return a new ``async def`` function that returns its argument at once."""

    async def source(key: int) -> int:
        return key

    return source


def new_checkpoint_source() -> Source:
    """Return a new ``async def`` function that yields to the event loop once."""

    async def source(key: int) -> int:
        await anyio.lowlevel.checkpoint()
        return key

    return source


async def fill(function: Callable[[int], Awaitable[object]], keys: Iterable[int]) -> None:
    """Call *function* once per key, storing one entry each."""
    for key in keys:
        await function(key)


async def prepare_plain_await(settings: Settings) -> Trial:
    """The baseline: await an uncached ``async def`` that returns at once."""
    source = new_source()
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(source, keys)

    return trial


async def prepare_hit(settings: Settings) -> Trial:
    """A hit on one stored key of a default cache (maxsize=128)."""
    cached = alru_cache()(new_source())
    await cached(0)
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


async def prepare_hit_ttl(settings: Settings) -> Trial:
    """A hit on one stored key of a cache with a ttl that does not run out meanwhile."""
    cached = alru_cache(ttl=TTL_SECONDS)(new_source())
    await cached(0)
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


async def prepare_stored_hit(stored: int, settings: Settings) -> Trial:
    """Hits on HOT_KEYS keys spread evenly over a cache holding *stored* entries.

    Both stored-size rows cycle through the same number of keys, so that they differ
    only in how many entries the cache holds, not in the working set they touch.
    """
    cached = alru_cache(maxsize=None)(new_source())
    await fill(cached, range(stored))
    hot_keys = list(range(0, stored, stored // HOT_KEYS))[:HOT_KEYS]
    keys = hot_keys * (settings.hit_calls // HOT_KEYS)

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


async def prepare_small_hit(settings: Settings) -> Trial:
    """Hits with SMALL_ENTRIES entries stored."""
    return await prepare_stored_hit(SMALL_ENTRIES, settings)


async def prepare_large_hit(settings: Settings) -> Trial:
    """Hits with ``settings.large_entries`` entries stored."""
    return await prepare_stored_hit(settings.large_entries, settings)


async def prepare_miss(settings: Settings) -> Trial:
    """Misses without eviction: an unbounded cache, fresh keys, cleared after each run."""
    cached = alru_cache(maxsize=None)(new_source())
    fresh = FreshKeys()

    async def trial() -> Measurement:
        measurement = await timed_loop(cached, fresh.take(settings.miss_calls))
        cached.cache_clear()
        return measurement

    return trial


async def prepare_miss_evict(settings: Settings) -> Trial:
    """Misses that each evict the least recent entry of a full cache (maxsize=128)."""
    cached = alru_cache(maxsize=128)(new_source())
    fresh = FreshKeys()
    await fill(cached, range(128))

    async def trial() -> Measurement:
        return await timed_loop(cached, fresh.take(settings.miss_calls))

    return trial


async def prepare_burst(settings: Settings) -> Trial:
    """BURST_CALLERS tasks call one key of an empty cache; the function checkpoints once."""
    cached = alru_cache(maxsize=None)(new_checkpoint_source())
    fresh = FreshKeys()

    async def trial() -> Measurement:
        measurement = await timed_bursts(cached, fresh.take(settings.bursts))
        cached.cache_clear()
        return measurement

    return trial


async def prepare_burst_uncached(settings: Settings) -> Trial:
    """The same burst with no cache: what starting and running the tasks costs alone."""
    source = new_checkpoint_source()
    fresh = FreshKeys()

    async def trial() -> Measurement:
        return await timed_bursts(source, fresh.take(settings.bursts))

    return trial


async def prepare_peer_hit(settings: Settings) -> Trial:
    """A hit of ``anyio.functools.lru_cache`` (maxsize=128) on one stored key."""
    cached = lru_cache(maxsize=128)(new_source())
    await cached(0)
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


async def prepare_peer_miss(settings: Settings) -> Trial:
    """Misses of ``anyio.functools.lru_cache``: unbounded, fresh keys, cleared after each run."""
    cached = lru_cache(maxsize=None)(new_source())
    fresh = FreshKeys()

    async def trial() -> Measurement:
        measurement = await timed_loop(cached, fresh.take(settings.miss_calls))
        cached.cache_clear()
        return measurement

    return trial


BASELINE: Final = "await"

# In the order of the table.
CASES: Final = (
    Case(BASELINE, "plain await, uncached (baseline)", prepare_plain_await),
    Case("hit", "hit", prepare_hit),
    Case("hit-ttl", "hit, ttl", prepare_hit_ttl),
    Case("hit-small", f"hit, {SMALL_ENTRIES} stored", prepare_small_hit),
    Case("hit-large", "hit, {large:,} stored", prepare_large_hit),
    Case("miss", "miss (maxsize=None, fresh keys)", prepare_miss),
    Case("miss-evict", "miss with eviction (maxsize=128)", prepare_miss_evict),
    Case("burst", f"burst, {BURST_CALLERS} callers on one key", prepare_burst),
    Case("burst-uncached", f"burst, {BURST_CALLERS} callers, no cache", prepare_burst_uncached),
    Case("peer-hit", "anyio.functools.lru_cache hit", prepare_peer_hit),
    Case("peer-miss", "anyio.functools.lru_cache miss", prepare_peer_miss),
)

CASES_BY_SLUG: Final = {case.slug: case for case in CASES}
