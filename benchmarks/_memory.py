"""Bytes per stored entry, by tracemalloc."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass

import anyio

from async_lru import alru_cache

from ._cases import fill, new_source
from ._settings import TTL_SECONDS


def bytes_per_entry(entries: int, ttl: float | None) -> float:
    """Return the bytes a cache allocates per stored entry (int key, int value).

    The keys, and the values (the function returns its argument), are built before
    tracing starts: they belong to the caller, so the figure is the cache's own cost.
    Storing needs an event loop; what is stored does not depend on the backend, so
    this runs on asyncio.
    """
    return anyio.run(_traced_bytes_per_entry, entries, ttl)


async def _traced_bytes_per_entry(entries: int, ttl: float | None) -> float:
    """Fill a cache with *entries* results under tracemalloc and return bytes per entry."""
    keys = list(range(1_000_000_000, 1_000_000_000 + entries))  # the caller's, not traced
    cached = alru_cache(maxsize=None, ttl=ttl)(new_source())
    await cached(-1)  # whatever a cache allocates on its first store is not per entry
    gc.collect()
    tracemalloc.start()
    try:
        before = _traced_now()
        await fill(cached, keys)
        grown = _traced_now() - before
    finally:
        tracemalloc.stop()
    return grown / entries


def _traced_now() -> int:
    """Return the bytes tracemalloc sees allocated now, after a garbage collection."""
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    return current


@dataclass(frozen=True)
class MemoryFigures:
    """Bytes per stored entry of a cache holding *entries* results, without and with a ttl."""

    entries: int
    plain: float
    with_ttl: float


def measure_memory(entries: int) -> MemoryFigures:
    """Return the bytes per stored entry of caches holding *entries* results."""
    return MemoryFigures(
        entries, bytes_per_entry(entries, None), bytes_per_entry(entries, TTL_SECONDS)
    )
