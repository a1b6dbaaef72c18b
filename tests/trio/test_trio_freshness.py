"""Freshness on trio time: a ttl callable and ``stale`` driven by
``timer=trio.current_time`` and trio's ``MockClock(autojump_threshold=0)``, so that
computations and refreshes take seconds of trio time and expire exactly when due."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.lowlevel
import trio.testing

from async_lru import CacheClosedError, alru_cache
from async_lru._wrapper import _LRUCacheWrapper

# A bound on trio time: the mock clock jumps to it if the test hangs.
TIMEOUT = 1000

TTL = 10.0
STALE = 5.0
REFRESH = 3.0  # seconds of trio time each computation after the first takes


class Boom(Exception):
    """The error a cached function raises in these tests."""


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    """Run this module's tests on trio with a fresh autojumping mock clock each."""
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


@pytest.fixture(autouse=True)
async def mock_clock_is_running() -> None:
    """Fail the tests of this module at once if the mock clock did not take effect."""
    assert isinstance(trio.lowlevel.current_clock(), trio.testing.MockClock)


class Source:
    """What the cached function computes: each computation returns its number (1 for
    the first, which takes no time), takes ``seconds`` of trio time after the first,
    and raises Boom instead if ``fail`` is set."""

    def __init__(self) -> None:
        self.started: list[float] = []  # when each computation started, from the origin
        self.completed: list[int] = []
        self.seconds = REFRESH
        self.fail = False
        self.origin = trio.current_time()

    def elapsed(self) -> float:
        return trio.current_time() - self.origin

    async def compute(self) -> int:
        self.started.append(self.elapsed())
        version = len(self.started)
        if version > 1:
            await trio.sleep(self.seconds)
        if self.fail:
            raise Boom(version)
        self.completed.append(version)
        return version


def stale_cache(source: Source) -> _LRUCacheWrapper[[int], int]:
    """Return a cache of *source* with ttl=TTL and stale=STALE on trio time."""

    @alru_cache(ttl=TTL, stale=STALE, timer=trio.current_time)
    async def fetch(x: int) -> int:
        return await source.compute()

    return fetch


async def sleep_until(source: Source, moment: float) -> None:
    """Sleep until *moment* seconds after the source's origin, then until the tasks
    that woke then are blocked again: a refresh due to end at *moment* has ended."""
    await trio.sleep_until(source.origin + moment)
    await trio.testing.wait_all_tasks_blocked()


def counts(cached: _LRUCacheWrapper[..., Any]) -> tuple[int, int, int]:
    """Return (hits, misses, tasks) of *cached*."""
    info = cached.cache_info()
    return info.hits, info.misses, cached.cache_parameters()["tasks"]


# --- a ttl callable ----------------------------------------------------------------------


async def test_callable_ttl_gives_each_result_its_own_trio_lifetime() -> None:
    """Each result lives for the seconds of trio time the ttl callable gives for it."""
    runs: list[float] = []

    @alru_cache(ttl=lambda seconds: seconds, timer=trio.current_time)
    async def token(seconds: float) -> float:
        runs.append(seconds)
        return seconds

    with trio.fail_after(TIMEOUT):
        await token(2)
        await token(8)
        await trio.sleep(1.99)
        assert token.cache_contains(2)
        await trio.sleep(0.02)
        assert not token.cache_contains(2)
        assert token.cache_contains(8)
        await trio.sleep(5.98)  # 7.99 after the stores
        assert await token(8) == 8
        await trio.sleep(0.02)
        assert not token.cache_contains(8)
    assert runs == [2, 8]
    assert token.cache_info() == (1, 2, 128, 0)


async def test_callable_ttl_none_never_expires_in_trio_time() -> None:
    """A result for which the ttl callable gives None is a hit however much trio time
    passes."""
    runs: list[int] = []

    @alru_cache(ttl=lambda value: None, timer=trio.current_time)
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    with trio.fail_after(TIMEOUT):
        await echo(1)
        await trio.sleep(TIMEOUT - 1)
        assert echo.cache_contains(1)
        assert await echo(1) == 1
    assert runs == [1]
    assert echo.cache_info() == (1, 1, 128, 1)


async def test_callable_ttl_zero_reaches_every_caller_of_the_flight_unstored() -> None:
    """A result given 0 seconds reaches every caller of its five-second computation and
    is not stored."""
    runs: list[int] = []
    results: list[int] = []

    @alru_cache(ttl=lambda value: 0, timer=trio.current_time)
    async def empty_page(x: int) -> int:
        runs.append(x)
        await trio.sleep(5)
        return 10 * x

    async def call() -> None:
        results.append(await empty_page(1))

    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(call)
        assert trio.current_time() == pytest.approx(start + 5)
        assert not empty_page.cache_contains(1)
    assert results == [10, 10, 10]
    assert runs == [1]
    assert empty_page.cache_info() == (2, 1, 128, 0)


async def test_jitter_on_a_callable_ttl_falls_within_s_and_s_plus_jitter() -> None:
    """Results the ttl callable gives 10 seconds, with jitter 4, are all alive just
    before 10 seconds, some alive at 12, and none just after 14."""

    @alru_cache(maxsize=None, ttl=lambda value: 10.0, jitter=4, timer=trio.current_time)
    async def fetch(x: int) -> int:
        return x

    keys = range(64)
    with trio.fail_after(TIMEOUT):
        for x in keys:
            await fetch(x)
        await trio.sleep(9.99)
        assert all(fetch.cache_contains(x) for x in keys)
        await trio.sleep(2.01)
        alive = sum(fetch.cache_contains(x) for x in keys)
        assert 0 < alive < len(keys)
        await trio.sleep(2.01)
        assert not any(fetch.cache_contains(x) for x in keys)


# --- stale-while-revalidate ----------------------------------------------------------------


async def test_stale_call_returns_at_once_as_a_hit_and_starts_one_refresh() -> None:
    """A call in the stale window returns the stored value with no trio time passing,
    counts as a hit, and starts one refresh that stores its value when it ends."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        assert await fetch(1) == 1
        assert source.elapsed() == 11
        assert counts(fetch) == (1, 1, 1)
        await trio.testing.wait_all_tasks_blocked()
        assert source.started == [0, 11]
        await sleep_until(source, 11 + REFRESH)
        assert await fetch(1) == 2
    assert source.completed == [1, 2]
    assert counts(fetch) == (2, 1, 0)


async def test_stale_calls_during_a_refresh_start_no_second_one() -> None:
    """Stale calls one and two seconds into a three-second refresh get the stale value
    and start nothing."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        await fetch(1)
        for moment in (12, 13):
            await sleep_until(source, moment)
            assert await fetch(1) == 1
        await sleep_until(source, 11 + REFRESH)
    assert source.started == [0, 11]
    assert source.completed == [1, 2]
    assert counts(fetch) == (3, 1, 0)


async def test_refreshed_entry_is_fresh_for_ttl_from_the_refresh_end() -> None:
    """A refresh that ends at 14 stores an entry fresh until 24: a call at 23.9 starts
    no refresh, a call at 24 does."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        await fetch(1)
        await sleep_until(source, 23.9)
        assert await fetch(1) == 2
        await trio.testing.wait_all_tasks_blocked()
        assert source.started == [0, 11]
        await sleep_until(source, 24)
        assert await fetch(1) == 2
        await trio.testing.wait_all_tasks_blocked()
        assert source.started == [0, 11, 24]
        await sleep_until(source, 24 + REFRESH)
        assert await fetch(1) == 3


async def test_failed_refresh_keeps_the_stale_value_and_the_next_stale_call_retries() -> None:
    """After a refresh fails, stale calls get the stale value until the window ends;
    the first of them starts another refresh, and only one."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        source.fail = True
        await sleep_until(source, 10)
        assert await fetch(1) == 1  # refresh 2: fails at 13
        await sleep_until(source, 13.5)
        assert fetch.cache_contains(1)
        assert await fetch(1) == 1  # refresh 3: fails at 16.5
        assert await fetch(1) == 1
        await sleep_until(source, 14.9)
        assert await fetch(1) == 1
        assert source.started == [0, 10, 13.5]
        await sleep_until(source, 15)
        assert fetch.cache_contains(1)  # no stored value, but refresh 3 in flight
        with pytest.raises(Boom):
            await fetch(1)  # joins refresh 3 and gets its error
        assert source.elapsed() == 16.5
        assert not fetch.cache_contains(1)
    assert source.completed == [1]
    assert counts(fetch) == (5, 1, 0)


async def test_call_after_the_window_waits_for_the_refresh_still_running() -> None:
    """A refresh started at 11 that takes 8 seconds is still running when the window
    ends at 15: a call at 16 joins it, returns at 19 with its value, as a hit."""
    source = Source()
    source.seconds = 8
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        await fetch(1)
        await sleep_until(source, 16)
        assert await fetch(1) == 2
        assert source.elapsed() == 19
    assert source.started == [0, 11]
    assert counts(fetch) == (2, 1, 0)


async def test_past_the_window_without_a_refresh_a_call_waits_for_a_new_value() -> None:
    """At the window's end, with no refresh running, a call is a miss that waits the
    computation's three seconds."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, TTL + STALE)
        assert not fetch.cache_contains(1)
        assert await fetch(1) == 2
        assert source.elapsed() == TTL + STALE + REFRESH
    assert counts(fetch) == (0, 2, 0)


async def test_cache_close_cancels_a_refresh_at_once() -> None:
    """cache_close() cancels a refresh one second into its three, which sees
    trio.Cancelled, and returns with no trio time passing."""
    events: list[str] = []
    runs: list[int] = []

    @alru_cache(ttl=TTL, stale=STALE, timer=trio.current_time)
    async def fetch(x: int) -> int:
        runs.append(x)
        if len(runs) > 1:
            try:
                await trio.sleep(REFRESH)
            except trio.Cancelled:
                events.append("cancelled")
                raise
            finally:
                events.append("finally")
        return x

    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await trio.sleep(11)
        await fetch(1)
        await trio.sleep(1)
        closing = trio.current_time()
        await fetch.cache_close()
        assert trio.current_time() == closing
        assert events == ["cancelled", "finally"]
        with pytest.raises(CacheClosedError):
            await fetch(1)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_cache_close_wait_returns_when_the_refresh_has_stored() -> None:
    """cache_close(wait=True) one second into a three-second refresh returns two
    seconds later, with the refreshed value stored."""
    source = Source()
    fetch = stale_cache(source)
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        await fetch(1)
        await sleep_until(source, 12)
        await fetch.cache_close(wait=True)
        assert source.elapsed() == 11 + REFRESH
        await sleep_until(source, 16)  # the old entry's window is over
        assert fetch.cache_contains(1)
    assert fetch._store.entries[1].value == 2
    assert source.completed == [1, 2]


async def test_refresh_outlives_the_cancelled_stale_caller() -> None:
    """A stale caller under trio.move_on_after(1) is cancelled one second in; the
    refresh it started goes on and stores its value."""
    source = Source()
    fetch = stale_cache(source)
    results: list[int] = []
    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await sleep_until(source, 11)
        with trio.move_on_after(1) as scope:
            results.append(await fetch(1))
            await trio.sleep_forever()
        assert scope.cancelled_caught
        assert fetch.cache_parameters()["tasks"] == 1
        await sleep_until(source, 11 + REFRESH)
        assert await fetch(1) == 2
    assert results == [1]
    assert source.completed == [1, 2]
