"""Stored results: LRU order, TTL deadlines and incremental reclaiming.

Nothing here touches an event loop, so a stored result is valid in any run, under
either backend, in any thread.
"""

from __future__ import annotations

import math
import numbers
import random
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final, final

# How many expired entries one store reclaims at most: enough to outpace the one
# entry it adds, small enough that no store pays for a sweep.
_RECLAIM_BUDGET: Final = 3


@final
class Timed(float):
    """A stored result that is its own deadline.

    Subclassing float keeps the deadline, the value, the key and the position in the
    deadline heap in one 64-byte object where a (value, deadline) tuple and its float
    would take 80, and lets the heap compare entries as plain floats.
    """

    __slots__ = ("index", "key", "value")

    index: int  # its position in the deadline heap
    key: Hashable
    value: Any


class Deadlines(list[Timed]):
    """A min-heap of the stored Timed entries that knows where each one is.

    Unlike heapq's heaps it removes any entry at once, in O(log n): an entry
    evicted, invalidated or replaced leaves nothing behind that keeps its value
    alive or that a later call would have to sweep.
    """

    __slots__ = ()

    def push(self, timed: Timed) -> None:
        timed.index = len(self)
        self.append(timed)
        self._sift_up(timed.index)

    def remove_entry(self, timed: Timed) -> None:
        """Remove *timed*, which is in the heap."""
        last = self.pop()
        if last is timed:
            return
        index = timed.index
        self[index] = last
        last.index = index
        if index and last < self[(index - 1) >> 1]:
            self._sift_up(index)
        else:
            self._sift_down(index)

    def _sift_up(self, index: int) -> None:
        timed = self[index]
        while index:
            parent_index = (index - 1) >> 1
            parent = self[parent_index]
            if not timed < parent:
                break
            self[index] = parent
            parent.index = index
            index = parent_index
        self[index] = timed
        timed.index = index

    def _sift_down(self, index: int) -> None:
        size = len(self)
        timed = self[index]
        while True:
            child_index = 2 * index + 1
            if child_index >= size:
                break
            child = self[child_index]
            right_index = child_index + 1
            if right_index < size and self[right_index] < child:
                child_index = right_index
                child = self[right_index]
            if not child < timed:
                break
            self[index] = child
            child.index = index
            index = child_index
        self[index] = timed
        timed.index = index


@final
class Store:
    """The stored results of one cache, most recently used last.

    Every write happens under the owning cache's lock; only a hit's
    ``move_to_end`` runs outside it, which is why nothing here iterates over
    ``entries`` itself.
    """

    __slots__ = ("_deadlines", "entries", "jitter", "maxsize", "stale", "timer", "ttl")

    entries: Final[OrderedDict[Hashable, Any]]
    _deadlines: Final[Deadlines]
    maxsize: Final[int | None]
    ttl: Final[float | Callable[[Any], float | None] | None]
    jitter: Final[float | None]
    timer: Final[Callable[[], float]]
    stale: Final[float]

    def __init__(
        self,
        maxsize: int | None,
        ttl: float | Callable[[Any], float | None] | None,
        jitter: float | None,
        timer: Callable[[], float],
        stale: float | None = None,
    ) -> None:
        # key -> value, or key -> Timed when a ttl is set
        self.entries = OrderedDict()
        # With a ttl: every stored Timed, soonest deadline first.
        self._deadlines = Deadlines()
        self.maxsize = maxsize
        self.ttl = ttl
        self.jitter = jitter
        self.timer = timer
        # Seconds after its deadline during which an entry is served stale, while
        # it is refreshed; it expires at the window's end.
        self.stale = 0.0 if stale is None else stale

    def lifetime(self, value: Any) -> float | None:
        """Return for how many seconds *value* is to be returned (None: no expiry).

        Calls a ttl callable, which may be slow or call the cache: the caller holds
        no lock. Raises an error that names ttl if the callable fails or gives what
        is not a lifetime.
        """
        ttl = self.ttl
        return _lifetime(ttl, value) if callable(ttl) else ttl

    def put(self, key: Hashable, value: Any, seconds: float | None) -> None:
        """Store *value* under *key* as the most recent entry, for *seconds* (as
        ``lifetime()`` gave them) if there is a ttl, evicting as needed.

        With a ttl, first reclaims expired entries (at least one if there is any),
        and evicts an expired entry rather than a live one.
        """
        if self.maxsize == 0:
            return
        entries = self.entries
        ttl = self.ttl
        if ttl is None:
            entries[key] = value
            entries.move_to_end(key)
            if self.maxsize is not None and len(entries) > self.maxsize:
                entries.popitem(last=False)
            return
        now = self.timer()
        self._reclaim(now, _RECLAIM_BUDGET)
        self._remove(key)  # a result stored meanwhile (stale, or by another run) goes
        if seconds is None:
            deadline = math.inf
        else:
            deadline = now + seconds
            if self.jitter and seconds > 0:  # 0 seconds means "do not store", jitter or not
                deadline += random.uniform(0, self.jitter)
            if deadline <= now:
                return  # expired as it is stored (ttl 0, or below the timer's resolution)
        timed = Timed(deadline)
        timed.key = key
        timed.value = value
        entries[key] = timed
        self._deadlines.push(timed)
        maxsize = self.maxsize
        if maxsize is not None and len(entries) > maxsize and not self._reclaim(now, 1):
            self._deadlines.remove_entry(entries.popitem(last=False)[1])

    def _reclaim(self, now: float, budget: int) -> int:
        """Remove up to *budget* expired entries, soonest deadline first; return how
        many were removed."""
        deadlines = self._deadlines
        removed = 0
        stale = self.stale
        while removed < budget and deadlines and now >= deadlines[0] + stale:
            self._remove(deadlines[0].key)
            removed += 1
        return removed

    def _remove(self, key: Hashable) -> None:
        """Remove the entry for *key*, if any, from the entries and the deadlines."""
        timed = self.entries.pop(key, None)
        if timed is not None and self.ttl is not None:
            self._deadlines.remove_entry(timed)

    def drop_expired(self, key: Hashable, now: float) -> Any:
        """Remove the entry for *key* if it has expired; return its value if it is
        stale (past its deadline, within the stale window), now the most recently
        used, else _MISSING."""
        timed = self.entries.get(key)
        if timed is None or now < timed:
            return _MISSING
        if now < timed + self.stale:
            self.entries.move_to_end(key)  # a stale hit is a hit: now the most recent
            return timed.value
        self._remove(key)
        return _MISSING

    def reclaim_all(self) -> None:
        """Remove every expired entry."""
        if self.ttl is not None:
            self._reclaim(self.timer(), len(self._deadlines))

    def contains(self, key: Hashable) -> bool:
        """Return True if *key* has a stored, unexpired result."""
        found = self.entries.get(key, _MISSING)
        if found is _MISSING:
            return False
        return self.ttl is None or self.timer() < found + self.stale

    def discard(self, key: Hashable) -> bool:
        """Remove the entry for *key*; return True if it was stored and unexpired."""
        present = self.contains(key)
        self._remove(key)
        return present

    def clear(self) -> None:
        """Remove every entry."""
        self.entries.clear()
        self._deadlines.clear()


def _lifetime(ttl: Callable[[Any], float | None], value: Any) -> float | None:
    """Return the seconds for which *value* is returned, as the ttl callable gives
    them, checked; raise an error that names ttl if it fails or gives no lifetime."""
    try:
        seconds = ttl(value)
    except Exception as exc:
        raise RuntimeError(f"the ttl callable {ttl!r} raised {exc!r} for {value!r}") from exc
    return check_seconds(seconds, "ttl", returned_by=ttl)


def check_seconds(value: object, name: str, *, returned_by: object = None) -> float | None:
    """Return *value*, a number of seconds or None, as a float or None; raise
    TypeError if it is no real number, ValueError if it is negative or NaN. The
    errors name the parameter *name*, or the callable given as it that *returned_by*
    is, if not None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if returned_by is None:
            raise TypeError(f"{name} must be a real number or None, not {value!r}")
        raise TypeError(
            f"the {name} callable {returned_by!r} must return a real number or None, not {value!r}"
        )
    if math.isnan(value) or value < 0:
        if returned_by is None:
            raise ValueError(f"{name} must be non-negative, not {value!r}")
        raise ValueError(
            f"the {name} callable {returned_by!r} must return a non-negative number, not {value!r}"
        )
    return float(value)


_MISSING: Final[Any] = object()
