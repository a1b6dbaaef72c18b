"""Stored results: LRU order, TTL deadlines and incremental reclaiming.

Nothing here touches an event loop, so a stored result is valid in any run, under
either backend, in any thread.
"""

from __future__ import annotations

import random
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Any, Final, final

# How many entries one store may examine while reclaiming expired ones: enough to
# outpace the one entry it adds, small enough that no store pays for a sweep.
_RECLAIM_BUDGET: Final = 3


@final
class Timed(float):
    """A stored result that is its own deadline.

    Subclassing float keeps the deadline, the value and the key in one 56-byte
    object where a (value, deadline) tuple and its float would take 80.
    """

    __slots__ = ("key", "value")

    key: Hashable
    value: Any


@final
class Store:
    """The stored results of one cache, most recently used last."""

    __slots__ = ("_by_age", "entries", "jitter", "maxsize", "timer", "ttl")

    def __init__(
        self,
        maxsize: int | None,
        ttl: float | None,
        jitter: float | None,
        timer: Callable[[], float],
    ) -> None:
        # key -> value, or key -> Timed when a ttl is set
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        # Timed entries in the order they were stored, which is deadline order
        # unless jitter shuffles it; entries removed since may still sit here.
        self._by_age: deque[Timed] = deque()
        self.maxsize = maxsize
        self.ttl = ttl
        self.jitter = jitter
        self.timer = timer

    def put(self, key: Hashable, value: Any) -> None:
        """Store *value* under *key* as the most recent entry, evicting as needed."""
        if self.maxsize == 0:
            return
        entries = self.entries
        if self.ttl is None:
            entries[key] = value
        else:
            now = self.timer()
            deadline = now + self.ttl
            if self.jitter:
                deadline += random.uniform(0, self.jitter)
            timed = Timed(deadline)
            timed.key = key
            timed.value = value
            entries[key] = timed
            self._by_age.append(timed)
            self._reclaim_some(now)
        entries.move_to_end(key)
        if self.maxsize is not None and len(entries) > self.maxsize:
            entries.popitem(last=False)

    def _reclaim_some(self, now: float) -> None:
        by_age = self._by_age
        entries = self.entries
        # Entries already removed from `entries` are dropped for free, up to a bound.
        stale_budget = 2 * _RECLAIM_BUDGET
        budget = _RECLAIM_BUDGET
        while by_age and budget:
            oldest = by_age[0]
            if entries.get(oldest.key) is not oldest:
                by_age.popleft()
                stale_budget -= 1
                if not stale_budget:
                    break
                continue
            budget -= 1
            if now >= oldest:
                by_age.popleft()
                del entries[oldest.key]
            elif self.jitter or len(by_age) > 2 * len(entries):
                # Out of deadline order (jitter) or crowded by removed entries:
                # keep the scan moving round so memory follows the live entries.
                by_age.rotate(-1)
            else:
                # In deadline order, so nothing behind the oldest has expired either.
                break

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
        for key in [key for key, timed in entries.items() if now >= timed]:
            del entries[key]
        self._by_age = deque(timed for timed in self._by_age if entries.get(timed.key) is timed)

    def contains(self, key: Hashable) -> bool:
        """Return True if *key* has a stored, unexpired result."""
        found = self.entries.get(key, _MISSING)
        if found is _MISSING:
            return False
        return self.ttl is None or self.timer() < found

    def discard(self, key: Hashable) -> bool:
        """Remove the entry for *key*; return True if it was stored and unexpired."""
        present = self.contains(key)
        self.entries.pop(key, None)
        return present

    def clear(self) -> None:
        """Remove every entry."""
        self.entries.clear()
        self._by_age.clear()


_MISSING: Final[Any] = object()
