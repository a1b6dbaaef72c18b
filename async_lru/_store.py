"""Stored results: LRU order, TTL deadlines and incremental reclaiming.

Nothing here touches an event loop, so a stored result is valid in any run, under
either backend, in any thread.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable, Hashable
from heapq import heapify, heappop, heappush
from typing import Any, Final, final

# How many expired entries one store reclaims at most: enough to outpace the one
# entry it adds, small enough that no store pays for a sweep.
_RECLAIM_BUDGET: Final = 3

# Removed entries the deadline heap may hold beyond twice the stored ones before it
# is rebuilt without them; the slack keeps small caches from rebuilding often.
_HEAP_SLACK: Final = 16


@final
class Timed(float):
    """A stored result that is its own deadline.

    Subclassing float keeps the deadline, the value and the key in one 56-byte
    object where a (value, deadline) tuple and its float would take 80, and lets
    the deadline heap compare entries as plain floats.
    """

    __slots__ = ("key", "value")

    key: Hashable
    value: Any


@final
class Store:
    """The stored results of one cache, most recently used last.

    Every write happens under the owning cache's lock; only a hit's
    ``move_to_end`` runs outside it, which is why nothing here iterates over
    ``entries`` itself.
    """

    __slots__ = ("_deadlines", "entries", "jitter", "maxsize", "timer", "ttl")

    def __init__(
        self,
        maxsize: int | None,
        ttl: float | None,
        jitter: float | None,
        timer: Callable[[], float],
    ) -> None:
        # key -> value, or key -> Timed when a ttl is set
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        # With a ttl: a heap of every stored Timed, soonest deadline first. Entries
        # removed from `entries` since stay here until they surface or a rebuild.
        self._deadlines: list[Timed] = []
        self.maxsize = maxsize
        self.ttl = ttl
        self.jitter = jitter
        self.timer = timer

    def put(self, key: Hashable, value: Any) -> None:
        """Store *value* under *key* as the most recent entry, evicting as needed.

        With a ttl, first reclaims expired entries (at least one if there is any),
        and evicts an expired entry rather than a live one.
        """
        if self.maxsize == 0:
            return
        entries = self.entries
        if self.ttl is None:
            entries[key] = value
            entries.move_to_end(key)
            if self.maxsize is not None and len(entries) > self.maxsize:
                entries.popitem(last=False)
            return
        now = self.timer()
        deadline = now + self.ttl
        if self.jitter:
            deadline += random.uniform(0, self.jitter)
        self._reclaim(now, _RECLAIM_BUDGET)
        if deadline <= now:
            return  # expired as it is stored (ttl 0, or below the timer's resolution)
        timed = Timed(deadline)
        timed.key = key
        timed.value = value
        entries[key] = timed
        entries.move_to_end(key)
        deadlines = self._deadlines
        heappush(deadlines, timed)
        maxsize = self.maxsize
        if maxsize is not None and len(entries) > maxsize and not self._reclaim(now, 1):
            entries.popitem(last=False)
        if len(deadlines) > 2 * len(entries) + _HEAP_SLACK:
            # Removed entries crowd the heap (and keep their values alive): a rebuild
            # after at least as many removals as there are entries, so O(1) amortized.
            live = [timed for timed in deadlines if entries.get(timed.key) is timed]
            heapify(live)
            self._deadlines = live

    def _reclaim(self, now: float, budget: int) -> int:
        """Remove up to *budget* expired entries, soonest deadline first; return how
        many were removed."""
        deadlines = self._deadlines
        entries = self.entries
        removed = 0
        while deadlines and removed < budget:
            soonest = deadlines[0]
            if entries.get(soonest.key) is not soonest:
                heappop(deadlines)  # removed already; each is popped once, so O(1) amortized
            elif now >= soonest:
                heappop(deadlines)
                del entries[soonest.key]
                removed += 1
            else:
                break
        return removed

    def drop_expired(self, key: Hashable, now: float) -> None:
        """Remove the entry for *key* if it has expired."""
        timed = self.entries.get(key)
        if timed is not None and now >= timed:
            del self.entries[key]

    def reclaim_all(self) -> None:
        """Remove every expired entry."""
        if self.ttl is None:
            return
        now = self.timer()
        entries = self.entries
        live: list[Timed] = []
        for timed in self._deadlines:
            if entries.get(timed.key) is timed:
                if now < timed:
                    live.append(timed)
                else:
                    del entries[timed.key]
        heapify(live)
        self._deadlines = live

    def contains(self, key: Hashable) -> bool:
        """Return True if *key* has a stored, unexpired result."""
        return self._live(key) is not _MISSING

    def get(self, key: Hashable) -> Any:
        """Return the stored, unexpired result for *key*, now the most recently used,
        or _MISSING. (The hit path does the same inline.)"""
        found = self._live(key)
        if found is _MISSING:
            return _MISSING
        self.entries.move_to_end(key)
        return found if self.ttl is None else found.value

    def _live(self, key: Hashable) -> Any:
        """Return the entry for *key* unless it has expired, else _MISSING."""
        found = self.entries.get(key, _MISSING)
        if found is not _MISSING and self.ttl is not None and self.timer() >= found:
            return _MISSING
        return found

    def discard(self, key: Hashable) -> bool:
        """Remove the entry for *key*; return True if it was stored and unexpired."""
        present = self.contains(key)
        self.entries.pop(key, None)
        return present

    def clear(self) -> None:
        """Remove every entry."""
        self.entries.clear()
        self._deadlines.clear()


_MISSING: Final[Any] = object()
