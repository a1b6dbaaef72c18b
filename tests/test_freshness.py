"""Freshness: a ttl callable that gives each result its lifetime, and ``stale``, which
serves an entry past its deadline at once while one background refresh runs.

Time is a mutable fake clock passed as ``timer=``: no test sleeps. The background
refresh is sequenced with anyio Events and ``wait_all_tasks_blocked()``.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest

from async_lru import CacheClosedError, alru_cache
from async_lru._wrapper import _LRUCacheWrapper

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10

TTL = 10.0
STALE = 5.0


class Boom(Exception):
    """The error a cached function raises in these tests."""


class Clock:
    """A fake timer: returns ``now``, which the test sets."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Source:
    """What the cached function computes: each computation returns its number (1 for
    the first), waits for ``gate`` first if one is set, and raises Boom instead if
    ``fail`` is set."""

    def __init__(self) -> None:
        self.runs = 0
        self.completed: list[int] = []  # computations that returned, by number
        self.gate: anyio.Event | None = None
        self.fail = False

    async def compute(self) -> int:
        self.runs += 1
        version = self.runs
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise Boom(version)
        self.completed.append(version)
        return version

    def hold(self) -> anyio.Event:
        """Make later computations wait for the returned event."""
        gate = self.gate = anyio.Event()
        return gate


def stale_cache(source: Source, clock: Clock) -> _LRUCacheWrapper[[int], int]:
    """Return a cache of *source* with ttl=TTL and stale=STALE on *clock*."""

    @alru_cache(ttl=TTL, stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        return await source.compute()

    return fetch


async def stored_then_stale(
    source: Source, clock: Clock
) -> tuple[_LRUCacheWrapper[[int], int], anyio.Event]:
    """Return a stale cache whose entry for 1 (value 1) was stored at time 0 and is now
    stale (time TTL + 1), and the gate that holds the computations from now on."""
    fetch = stale_cache(source, clock)
    assert await fetch(1) == 1
    gate = source.hold()
    clock.now = TTL + 1
    return fetch, gate


def counts(cached: _LRUCacheWrapper[..., Any]) -> tuple[int, int, int]:
    """Return (hits, misses, tasks) of *cached*."""
    info = cached.cache_info()
    return info.hits, info.misses, cached.cache_parameters()["tasks"]


# --- a ttl callable ----------------------------------------------------------------------


async def test_callable_ttl_gives_each_result_its_own_lifetime() -> None:
    """Each result lives for the seconds the ttl callable gives for it."""
    clock = Clock()
    runs: list[int] = []

    @alru_cache(ttl=lambda seconds: seconds, timer=clock)
    async def token(seconds: float) -> float:
        runs.append(int(seconds))
        return seconds

    assert await token(2) == 2
    assert await token(8) == 8
    clock.now = 1.9
    assert token.cache_contains(2)
    assert token.cache_contains(8)
    clock.now = 2.0
    assert not token.cache_contains(2)
    assert token.cache_contains(8)
    assert await token(8) == 8  # a hit
    assert await token(2) == 2  # a miss
    assert runs == [2, 8, 2]
    clock.now = 7.9
    assert token.cache_contains(8)
    clock.now = 8.0
    assert not token.cache_contains(8)
    assert token.cache_info() == (1, 3, 128, 0)  # 2, stored again at 2.0, lived to 4.0


async def test_callable_ttl_none_means_no_expiry() -> None:
    """A result for which the ttl callable gives None never expires; others do."""
    clock = Clock()
    runs: list[int] = []

    @alru_cache(ttl=lambda value: None if value == 0 else 1.0, timer=clock)
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    await echo(0)
    await echo(1)
    clock.now = 1e12
    assert echo.cache_contains(0)
    assert not echo.cache_contains(1)
    assert await echo(0) == 0
    assert runs == [0, 1]
    assert echo.cache_info() == (1, 2, 128, 1)


async def test_callable_ttl_zero_is_not_stored_but_every_caller_of_its_flight_gets_it() -> None:
    """A result given 0 seconds reaches every caller of its computation and is not
    stored: the next call computes again."""
    clock = Clock()
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache(ttl=lambda value: 0, timer=clock)
    async def empty_page(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 10 * x

    async def call() -> None:
        results.append(await empty_page(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert results == [10, 10, 10]
        assert runs == [1]
        assert not empty_page.cache_contains(1)
        assert empty_page.cache_info() == (2, 1, 128, 0)
        assert await empty_page(1) == 10
    assert runs == [1, 1]
    assert empty_page.cache_info() == (2, 2, 128, 0)


async def test_jitter_on_top_of_a_callable_ttl_stays_within_the_jitter() -> None:
    """With jitter, a result the ttl callable gives s seconds expires between s and
    s + jitter seconds after it was stored, and not all at the same moment."""
    clock = Clock()
    keys = range(100)

    @alru_cache(
        maxsize=None, ttl=lambda value: 20.0 if value < 0 else 10.0, jitter=5.0, timer=clock
    )
    async def echo(x: int) -> int:
        return x

    for key in [*keys, -1]:
        await echo(key)
    clock.now = 9.999
    assert all(echo.cache_contains(key) for key in keys)
    clock.now = 12.5
    alive = sum(echo.cache_contains(key) for key in keys)
    assert 0 < alive < len(keys)
    clock.now = 15.0
    assert not any(echo.cache_contains(key) for key in keys)
    clock.now = 19.999
    assert echo.cache_contains(-1)  # s = 20 for this result
    clock.now = 25.0
    assert not echo.cache_contains(-1)


def zero_seconds(value: object) -> float:
    """A ttl callable that gives every result 0 seconds."""
    return 0


@pytest.mark.parametrize("ttl", [0, zero_seconds], ids=["ttl=0", "ttl callable gives 0"])
async def test_zero_seconds_with_jitter_is_still_not_stored(ttl: Any) -> None:
    """jitter lengthens lifetimes only: a result given 0 seconds is not stored, with
    jitter as without."""
    clock = Clock()
    runs: list[int] = []

    @alru_cache(ttl=ttl, jitter=5.0, timer=clock)
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    for _ in range(3):
        assert await echo(1) == 1
    assert runs == [1, 1, 1]
    assert not echo.cache_contains(1)
    assert echo.cache_info() == (0, 3, 128, 0)


async def test_jitter_lengthens_a_lifetime_below_the_timers_resolution() -> None:
    """A positive lifetime too short to move the timer's reading still gets its
    jitter: the result is stored for up to that long."""
    clock = Clock()
    clock.now = 1e6  # where 1e-12 seconds vanish in a float's rounding
    runs: list[int] = []

    @alru_cache(ttl=1e-12, jitter=1.0, timer=clock)
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    assert await echo(1) == 1
    assert await echo(1) == 1
    assert runs == [1]
    clock.now += 1.0
    assert not echo.cache_contains(1)


async def test_ttl_callable_runs_once_per_computation_not_per_hit() -> None:
    """The ttl callable is called once for each computed result, never for a hit nor
    once per caller of a shared computation."""
    clock = Clock()
    release = anyio.Event()
    given: list[int] = []

    def lifetime(value: int) -> float:
        given.append(value)
        return 10.0

    @alru_cache(ttl=lifetime, timer=clock)
    async def slow(x: int) -> int:
        await release.wait()
        return x

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(slow, 1)
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert given == [1]
        for _ in range(4):
            assert await slow(1) == 1
        assert given == [1]
        clock.now = 10.0
        assert await slow(1) == 1  # expired: computed again
    assert given == [1, 1]
    assert slow.cache_info() == (6, 2, 128, 1)


async def test_ttl_callable_that_calls_the_cache_does_not_deadlock() -> None:
    """A ttl callable may call the cache's own methods (cache_info, cache_contains,
    cache_parameters): no lock is held while it runs."""
    clock = Clock()
    seen: list[tuple[int, bool, int]] = []

    def lifetime(value: int) -> float:
        # Fail rather than hang the test if the cache's lock were held here.
        lock = echo._flights.lock
        assert lock.acquire(timeout=TIMEOUT)
        lock.release()
        info = echo.cache_info()
        seen.append((info.misses, echo.cache_contains(value), echo.cache_parameters()["tasks"]))
        return 10.0

    @alru_cache(ttl=lifetime, timer=clock)
    async def echo(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return x

    with anyio.fail_after(TIMEOUT):
        assert await echo(1) == 1
    assert len(seen) == 1
    assert seen[0][0] == 1
    assert echo.cache_contains(1)
    assert echo.cache_info() == (0, 1, 128, 1)


# --- stale-while-revalidate ----------------------------------------------------------------


async def test_stale_call_returns_the_stale_value_at_once_as_a_hit_and_starts_a_refresh() -> None:
    """A call in the stale window returns the stored value without waiting for the
    function, counts as a hit, and starts exactly one refresh."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        assert await fetch(1) == 1  # the refresh is held by the gate: no wait
        assert fetch.cache_info().hits == 1
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 2
        assert counts(fetch) == (1, 1, 1)
        gate.set()
        await anyio.wait_all_tasks_blocked()
    assert source.completed == [1, 2]
    assert counts(fetch) == (1, 1, 0)


async def test_stale_call_returns_before_the_refresh_runs_any_of_the_function() -> None:
    """The stale caller does not run the refresh's first step (even where new tasks
    start eagerly): the function's code up to its first await runs after the stale
    call has returned."""
    clock = Clock()
    steps: list[str] = []

    @alru_cache(ttl=TTL, stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        steps.append("refresh starts" if steps else "first computation")
        await anyio.lowlevel.checkpoint()
        return x

    with anyio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
        clock.now = TTL + 1
        assert await fetch(1) == 1
        assert steps == ["first computation"]
        await anyio.wait_all_tasks_blocked()
    assert steps == ["first computation", "refresh starts"]
    assert fetch.cache_parameters()["tasks"] == 0


async def test_stale_calls_during_a_refresh_start_no_second_one() -> None:
    """Further stale calls, one after another or at once, while the refresh runs all
    get the stale value as hits and start no other computation."""
    source = Source()
    clock = Clock()
    results: list[int] = []

    async def call() -> None:
        results.append(await fetch(1))

    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        for moment in (11.5, 12.0, 14.9):
            clock.now = moment
            results.append(await fetch(1))
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
        await anyio.wait_all_tasks_blocked()
        assert results == [1] * 6
        assert source.runs == 2
        assert counts(fetch) == (7, 1, 1)
        gate.set()
        await anyio.wait_all_tasks_blocked()
    assert source.completed == [1, 2]


async def test_refresh_success_replaces_the_entry_with_a_new_deadline() -> None:
    """The refresh's result replaces the stale entry, fresh for ttl seconds from when
    it was stored."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)  # at 11: starts the refresh
        await anyio.wait_all_tasks_blocked()
        gate.set()
        await anyio.wait_all_tasks_blocked()  # stored at 11: fresh until 21
        clock.now = 20.9
        assert await fetch(1) == 2
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 2  # a fresh hit starts no refresh
        clock.now = 21.0
        assert await fetch(1) == 2  # stale again: a second refresh
        await anyio.wait_all_tasks_blocked()
        assert await fetch(1) == 3
    assert source.completed == [1, 2, 3]
    assert fetch.cache_info() == (4, 1, 128, 1)


async def test_refresh_failure_keeps_serving_the_stale_value_until_the_window_ends() -> None:
    """A refresh that fails leaves the stale value served, as a hit, until the window
    ends; past it the entry is expired and a call waits for a new computation."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        source.fail = True
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 2
        assert counts(fetch) == (1, 1, 0)
        clock.now = 14.9
        assert fetch.cache_contains(1)
        assert await fetch(1) == 1
        await anyio.wait_all_tasks_blocked()
        clock.now = 15.0
        assert not fetch.cache_contains(1)
        with pytest.raises(Boom):
            await fetch(1)  # a miss: waits for the computation, gets its error
    assert source.runs == 4
    assert source.completed == [1]
    assert counts(fetch) == (2, 2, 0)
    assert fetch.cache_info().currsize == 0


async def test_after_a_failed_refresh_the_next_stale_call_starts_another() -> None:
    """After a refresh failed, the next stale call starts exactly one new refresh,
    whose success replaces the entry."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        source.fail = True
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 2
        source.fail = False
        gate = source.hold()
        clock.now = 12.0
        assert await fetch(1) == 1
        assert await fetch(1) == 1
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 3
        assert counts(fetch) == (3, 1, 1)
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert await fetch(1) == 3
    assert source.completed == [1, 3]
    assert counts(fetch) == (4, 1, 0)


async def test_call_after_the_window_joins_a_refresh_still_running() -> None:
    """A call past the window while the refresh still runs waits for that refresh,
    gets its value, counts as a hit and starts nothing."""
    source = Source()
    clock = Clock()
    results: list[int] = []

    async def call() -> None:
        results.append(await fetch(1))

    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        clock.now = 16.0
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert results == []  # waiting for the refresh
            assert source.runs == 2
            gate.set()
    assert results == [2]
    assert source.completed == [1, 2]
    assert counts(fetch) == (2, 1, 0)


async def test_past_the_window_without_a_refresh_the_entry_is_expired() -> None:
    """A call after the window, with no refresh running, is a miss that waits for the
    new value."""
    source = Source()
    clock = Clock()
    fetch = stale_cache(source, clock)
    with anyio.fail_after(TIMEOUT):
        await fetch(1)
        clock.now = TTL + STALE
        assert not fetch.cache_contains(1)
        assert fetch.cache_info().currsize == 0
        assert await fetch(1) == 2
    assert source.runs == 2
    assert counts(fetch) == (0, 2, 0)


async def test_entry_in_its_window_is_contained_and_counted_in_currsize() -> None:
    """During its window an entry is contained and counted in currsize, and
    cache_info() does not reclaim it; after the window neither."""
    source = Source()
    clock = Clock()
    fetch = stale_cache(source, clock)
    await fetch(1)
    clock.now = TTL
    assert fetch.cache_contains(1)
    assert fetch.cache_info().currsize == 1
    clock.now = TTL + STALE - 0.1
    assert fetch.cache_contains(1)
    assert fetch.cache_info().currsize == 1
    clock.now = TTL + STALE
    assert not fetch.cache_contains(1)
    assert fetch.cache_info().currsize == 0
    assert source.runs == 1


async def test_currsize_counts_the_stale_entry_and_its_refresh() -> None:
    """While a refresh runs, currsize counts the stale entry and the refresh."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_info().currsize == 2
        gate.set()
        await anyio.wait_all_tasks_blocked()
    assert fetch.cache_info().currsize == 1


async def test_invalidate_during_a_refresh_keeps_its_result_out() -> None:
    """cache_invalidate() while a refresh runs removes the entry, and the refresh's
    result is not stored: the next call computes again."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_invalidate(1)
        assert not fetch.cache_contains(1)
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert source.completed == [1, 2]
        assert not fetch.cache_contains(1)
        assert fetch.cache_info().currsize == 0
        assert await fetch(1) == 3
    assert counts(fetch) == (1, 2, 0)


async def test_clear_during_a_refresh_keeps_its_result_out() -> None:
    """cache_clear() while a refresh runs removes the entry, and the refresh's result
    is not stored: the next call computes again."""
    source = Source()
    clock = Clock()
    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        fetch.cache_clear()
        assert not fetch.cache_contains(1)
        assert fetch.cache_parameters()["tasks"] == 1  # still unwinding
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert source.completed == [1, 2]
        assert not fetch.cache_contains(1)
        assert fetch.cache_info() == (0, 0, 128, 0)
        assert await fetch(1) == 3
    assert counts(fetch) == (0, 1, 0)


async def test_cache_close_stops_a_running_refresh_and_returns_once_it_unwound() -> None:
    """cache_close() cancels a refresh in flight (the function sees the cancellation)
    and returns only after the function's finally has run."""
    clock = Clock()
    events: list[str] = []
    gate = anyio.Event()
    gate.set()

    @alru_cache(ttl=TTL, stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        try:
            await gate.wait()
        except anyio.get_cancelled_exc_class():
            events.append("cancelled")
            raise
        finally:
            events.append("finally")
        return x

    with anyio.fail_after(TIMEOUT):
        await fetch(1)
        events.clear()
        gate = anyio.Event()
        clock.now = TTL + 1
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        assert events == []
        await fetch.cache_close()
        assert events == ["cancelled", "finally"]
    assert fetch.cache_parameters()["tasks"] == 0
    with pytest.raises(CacheClosedError):
        await fetch(1)


async def test_cache_close_wait_awaits_a_running_refresh_and_stores_its_result() -> None:
    """cache_close(wait=True) lets a refresh in flight finish, stores its result and
    returns after it."""
    source = Source()
    clock = Clock()
    closed: list[bool] = []

    async def close() -> None:
        await fetch.cache_close(wait=True)
        closed.append(True)

    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
        async with anyio.create_task_group() as tg:
            tg.start_soon(close)
            await anyio.wait_all_tasks_blocked()
            assert closed == []
            assert fetch.cache_parameters()["closed"]
            gate.set()
    assert closed == [True]
    assert source.completed == [1, 2]
    clock.now = TTL + STALE + 1  # the old entry's window is over; the new one is fresh
    assert fetch.cache_contains(1)
    assert fetch._store.entries[1].value == 2
    assert counts(fetch) == (1, 1, 0)


async def test_refresh_is_not_cancelled_with_the_stale_caller_that_started_it() -> None:
    """Cancelling the task whose stale call started the refresh leaves the refresh
    running; its result is stored."""
    source = Source()
    clock = Clock()
    results: list[int] = []

    async def call() -> None:
        results.append(await fetch(1))
        await anyio.sleep_forever()

    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            tg.cancel_scope.cancel()
        assert results == [1]
        await anyio.wait_all_tasks_blocked()
        assert source.runs == 2
        assert fetch.cache_parameters()["tasks"] == 1
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert await fetch(1) == 2
    assert source.completed == [1, 2]


async def test_refresh_outlives_the_stale_caller_that_started_it() -> None:
    """A refresh goes on after the task whose stale call started it has ended, and
    its result is stored."""
    source = Source()
    clock = Clock()
    results: list[int] = []

    async def call() -> None:
        results.append(await fetch(1))

    with anyio.fail_after(TIMEOUT):
        fetch, gate = await stored_then_stale(source, clock)
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
        assert results == [1]
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_parameters()["tasks"] == 1
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert await fetch(1) == 2
    assert source.completed == [1, 2]
    assert counts(fetch) == (2, 1, 0)


caller_name: ContextVar[str] = ContextVar("caller_name", default="nobody")


async def test_refresh_runs_in_a_copy_of_the_stale_callers_context() -> None:
    """The refresh sees the context variables of the stale call that started it, and
    what it sets does not reach that caller."""
    clock = Clock()
    seen: list[str] = []

    @alru_cache(ttl=TTL, stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        seen.append(caller_name.get())
        caller_name.set("function")
        await anyio.lowlevel.checkpoint()
        return x

    with anyio.fail_after(TIMEOUT):
        caller_name.set("first")
        await fetch(1)
        clock.now = TTL + 1
        caller_name.set("stale caller")
        await fetch(1)
        await anyio.wait_all_tasks_blocked()
    assert seen == ["first", "stale caller"]
    assert caller_name.get() == "stale caller"


async def test_one_refresh_per_key_per_run_with_two_runs(anyio_backend: str) -> None:
    """While this run's refresh runs, another thread's run starts one refresh of its
    own for the key, however many stale calls it makes, and stores its result."""
    clock = Clock()
    gates: dict[int, anyio.Event] = {}
    runs: list[str] = []

    @alru_cache(ttl=TTL, stale=STALE, timer=clock)
    async def fetch(x: int) -> str:
        name = threading.current_thread().name
        runs.append(name)
        version = f"{name} {len(runs)}"
        await gates[threading.get_ident()].wait()
        return version

    async def other_run() -> list[str]:
        gate = gates[threading.get_ident()] = anyio.Event()
        with anyio.fail_after(TIMEOUT):  # the thread cannot be cancelled from outside
            results = [await fetch(1), await fetch(1)]
            await anyio.wait_all_tasks_blocked()
            results.append(str(fetch.cache_parameters()["tasks"]))
            gate.set()
            await anyio.wait_all_tasks_blocked()  # its refresh stored "other 3"
            results.append(await fetch(1))
        return results

    def in_thread() -> list[str]:
        threading.current_thread().name = "other"
        return anyio.run(other_run, backend=anyio_backend)

    main = threading.current_thread().name
    with anyio.fail_after(TIMEOUT):
        gate = gates[threading.get_ident()] = anyio.Event()
        gate.set()
        first = await fetch(1)
        gate = gates[threading.get_ident()] = anyio.Event()
        clock.now = TTL + 1
        assert await fetch(1) == first
        await anyio.wait_all_tasks_blocked()
        assert runs == [main, main]
        other = await anyio.to_thread.run_sync(in_thread)
        assert other == [first, first, "2", "other 3"]
        assert runs == [main, main, "other"]
        assert fetch.cache_parameters()["tasks"] == 1  # this run's refresh
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert await fetch(1) == f"{main} 2"
    assert runs == [main, main, "other"]
    assert counts(fetch) == (5, 1, 0)


async def test_refresh_result_gets_its_lifetime_from_the_ttl_callable() -> None:
    """With a ttl callable and stale, the refreshed result lives for the seconds the
    callable gives for it."""
    clock = Clock()
    lifetimes = {1: 10.0, 2: 100.0}
    runs: list[int] = []

    @alru_cache(ttl=lambda value: lifetimes[value], stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        runs.append(x)
        await anyio.lowlevel.checkpoint()
        return len(runs)

    with anyio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
        clock.now = 11.0
        assert await fetch(1) == 1
        await anyio.wait_all_tasks_blocked()  # refreshed at 11: 2, for 100 seconds
        clock.now = 110.9
        assert await fetch(1) == 2
        await anyio.wait_all_tasks_blocked()
    assert runs == [1, 1]


async def test_refresh_result_given_zero_seconds_removes_the_stale_entry() -> None:
    """A refresh whose result the ttl callable gives 0 seconds stores nothing and
    removes the stale entry: the next call is a miss."""
    clock = Clock()
    runs: list[int] = []

    @alru_cache(ttl=lambda value: 10.0 if value == 1 else 0, stale=STALE, timer=clock)
    async def fetch(x: int) -> int:
        runs.append(x)
        await anyio.lowlevel.checkpoint()
        return len(runs)

    with anyio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
        clock.now = 11.0
        assert await fetch(1) == 1
        await anyio.wait_all_tasks_blocked()
        assert runs == [1, 1]
        assert not fetch.cache_contains(1)
        assert fetch.cache_info().currsize == 0
        assert await fetch(1) == 3
    assert counts(fetch) == (1, 2, 0)
