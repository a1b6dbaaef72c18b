"""A hypothesis state machine checks the cache against a plain ordered-dict model.

Calls are sequential, so each is a hit or a miss. One event loop per machine, run
by an anyio blocking portal of the backend under test, drives the calls; a fake
timer drives expiry. After every step the cache and the model agree on contents,
LRU order, counters and size.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from itertools import count
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from async_lru import alru_cache

SOAK = bool(os.environ.get("ALRU_SOAK"))
KEYS = st.integers(min_value=0, max_value=3)
# Multiples of 0.5 are exact in binary, so deadlines compare without rounding.
DURATIONS = st.sampled_from([0.5, 1.0, 2.5])
TTLS = st.sampled_from([None, 0.0, 1.0, 2.0, 5.0, 10.0])
MAXSIZES = st.sampled_from([None, 0, 1, 2, 3])


class FakeTimer:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CacheModel(RuleBasedStateMachine):
    """Random calls, invalidations, clears and clock moves, cache against model."""

    backend = "asyncio"

    def __init__(self) -> None:
        super().__init__()
        self.exits = contextlib.ExitStack()
        self.portal: BlockingPortal = self.exits.enter_context(start_blocking_portal(self.backend))
        self.timer = FakeTimer()
        self.serial = count()
        self.cached: Any = None
        # key -> (value, deadline or None), least recently used first
        self.model: OrderedDict[int, tuple[tuple[int, int], float | None]] = OrderedDict()
        self.maxsize: int | None = None
        self.ttl: float | None = None
        self.hits = 0
        self.misses = 0
        self.next_serial = 0

    def teardown(self) -> None:
        self.exits.close()

    def live(self, key: int) -> bool:
        """Return True if the model holds an unexpired result for *key*."""
        found = self.model.get(key)
        if found is None:
            return False
        deadline = found[1]
        return deadline is None or self.timer.now < deadline

    def live_keys(self) -> list[int]:
        return [key for key in self.model if self.live(key)]

    @initialize(maxsize=MAXSIZES, ttl=TTLS)
    def make_cache(self, maxsize: int | None, ttl: float | None) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        serial = self.serial

        @alru_cache(maxsize=maxsize, ttl=ttl, timer=self.timer)
        async def compute(key: int) -> tuple[int, int]:
            return (key, next(serial))

        self.cached = compute

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def call(self, key: int) -> None:
        result = self.portal.call(self.cached, key)
        if self.live(key):
            self.hits += 1
            self.model.move_to_end(key)
            assert result == self.model[key][0]
            return
        self.misses += 1
        expected = (key, self.next_serial)
        self.next_serial += 1
        assert result == expected
        # Expired entries are gone; the new one is most recent; LRU live ones go.
        for stale in [k for k in self.model if not self.live(k)]:
            del self.model[stale]
        if self.maxsize == 0 or self.ttl == 0.0:
            return
        deadline = None if self.ttl is None else self.timer.now + self.ttl
        self.model[key] = (expected, deadline)
        if self.maxsize is not None and len(self.model) > self.maxsize:
            self.model.popitem(last=False)

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def invalidate(self, key: int) -> None:
        assert self.cached.cache_invalidate(key) is self.live(key)
        self.model.pop(key, None)

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def call_then_invalidate(self, key: int) -> None:
        """A call followed at once by an invalidation leaves a removed entry behind."""
        self.call(key)
        self.invalidate(key)

    @precondition(lambda self: self.cached is not None)
    @rule()
    def clear(self) -> None:
        self.cached.cache_clear()
        self.model.clear()
        self.hits = self.misses = 0

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def contains(self, key: int) -> None:
        assert self.cached.cache_contains(key) is self.live(key)

    @precondition(lambda self: self.cached is not None)
    @rule()
    def info(self) -> None:
        hits, misses, maxsize, currsize = self.cached.cache_info()
        assert (hits, misses, maxsize, currsize) == (
            self.hits,
            self.misses,
            self.maxsize,
            len(self.live_keys()),
        )

    @rule(seconds=DURATIONS)
    def advance(self, seconds: float) -> None:
        self.timer.now += seconds

    @precondition(lambda self: self.cached is not None)
    @invariant()
    def agrees_with_model(self) -> None:
        """Contents, LRU order, counters and size match, read without side effects."""
        cached = self.cached
        for key in range(4):
            assert cached.cache_contains(key) is self.live(key)
        store = cached._store
        order = [
            key
            for key, found in store.entries.items()
            if store.ttl is None or self.timer.now < found
        ]
        assert order == self.live_keys()
        assert cached._flights.slots == {}
        assert cached.cache_parameters()["tasks"] == 0
        hits = int(repr(cached._flights.hits)[6:-1]) - cached._hits_cleared
        misses = int(repr(cached._flights.misses)[6:-1]) - cached._misses_cleared
        assert (hits, misses) == (self.hits, self.misses)
        if self.maxsize is not None:
            assert len(order) <= self.maxsize


def test_cache_agrees_with_ordered_dict_model(anyio_backend: str) -> None:
    """Sequential calls, invalidations, clears and clock moves match the model."""

    class Machine(CacheModel):
        backend = anyio_backend

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=1500 if SOAK else 120,
            stateful_step_count=100 if SOAK else 50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.mark.parametrize("ttl", [0.0, 1e-300])
def test_ttl_too_short_to_store_returns_result(anyio_backend: str, ttl: float) -> None:
    """A ttl that expires the moment a result is stored still returns that result."""
    timer = FakeTimer()

    @alru_cache(ttl=ttl, timer=timer)
    async def double(x: int) -> int:
        return 2 * x

    with start_blocking_portal(anyio_backend) as portal:
        assert portal.call(double, 1) == 2
        assert portal.call(double, 1) == 2
    assert double.cache_info() == (0, 2, 128, 0)
    assert double.cache_parameters()["tasks"] == 0


def test_expired_entry_never_evicts_a_live_one(anyio_backend: str) -> None:
    """Storing into a full cache drops an expired entry before any unexpired one."""
    timer = FakeTimer()
    timer.now = 0.0

    @alru_cache(maxsize=2, ttl=10, timer=timer)
    async def echo(key: str) -> str:
        return key

    with start_blocking_portal(anyio_backend) as portal:
        portal.call(echo, "old")  # deadline 10
        for step in range(1, 4):
            timer.now = step
            portal.call(echo, "gone")
            echo.cache_invalidate("gone")
        timer.now = 4
        portal.call(echo, "live")  # deadline 14
        timer.now = 5
        portal.call(echo, "old")  # a hit: "live" is now least recently used
        timer.now = 11  # "old" has expired, "live" has not
        portal.call(echo, "new")
    assert echo.cache_contains("live")
    assert echo.cache_contains("new")
    assert echo.cache_info() == (1, 6, 2, 2)
