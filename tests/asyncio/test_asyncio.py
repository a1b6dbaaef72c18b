"""asyncio-only behaviour, written the way async-lru users write it: asyncio.gather,
asyncio.create_task and Task.cancel(), asyncio.timeout and asyncio.wait_for, successive
asyncio.run() calls and loops in other threads; then async-lru 2.4.0's public behaviour
as its users rely on it."""

from __future__ import annotations

import asyncio
import sys
import threading
import warnings
from typing import Any

import anyio
import anyio.to_thread
import pytest

from async_lru import CacheClosedError, alru_cache

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class Boom(Exception):
    """The error a cached function raises in these tests."""


# --- single flight under gather and create_task -----------------------------------------


async def test_gather_of_equal_calls_runs_the_function_once() -> None:
    """asyncio.gather of ten equal calls runs the function once: one miss, nine hits."""
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return 10 * x

    with anyio.fail_after(TIMEOUT):
        results = await asyncio.gather(*(fetch(1) for _ in range(10)))
    assert results == [10] * 10
    assert runs == [1]
    assert fetch.cache_info() == (9, 1, 128, 1)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_cancelled_first_caller_task_leaves_the_computation_to_the_others() -> None:
    """Task.cancel() of the first caller's task cancels only that caller: the function
    runs on, once, and every other caller gets its result."""
    release = asyncio.Event()
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        n = len(runs)
        await release.wait()
        return n

    with anyio.fail_after(TIMEOUT):
        leader = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        joiners = [asyncio.create_task(fetch(1)) for _ in range(3)]
        await anyio.wait_all_tasks_blocked()
        assert runs == [1]
        leader.cancel()
        await anyio.wait_all_tasks_blocked()
        assert leader.cancelled()
        assert runs == [1]
        assert fetch.cache_parameters()["tasks"] == 1
        release.set()
        results = await asyncio.gather(*joiners)
        with pytest.raises(asyncio.CancelledError):
            await leader
    assert runs == [1]
    assert results == [1, 1, 1]
    assert fetch.cache_info() == (3, 1, 128, 1)


async def test_callers_cancelled_one_after_another_leave_the_one_run_to_the_last() -> None:
    """Cancelling the first caller and then the next leaves the one run going, in a task
    that is none of the callers', and the last caller gets its result; the counters
    still say one miss, two hits."""
    release = asyncio.Event()
    runs: list[asyncio.Task[Any]] = []  # the task running each run

    @alru_cache
    async def fetch(x: int) -> int:
        task = asyncio.current_task()
        assert task is not None
        runs.append(task)
        n = len(runs)
        await release.wait()
        return n

    with anyio.fail_after(TIMEOUT):
        first = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        second, last = (asyncio.create_task(fetch(1)) for _ in range(2))
        await anyio.wait_all_tasks_blocked()
        first.cancel()
        await anyio.wait_all_tasks_blocked()
        second.cancel()
        await anyio.wait_all_tasks_blocked()
        assert first.cancelled()
        assert second.cancelled()
        assert len(runs) == 1
        assert runs[0] not in (first, second, last)
        assert not runs[0].done()
        release.set()
        assert await last == 1
        with pytest.raises(asyncio.CancelledError):
            await second
        with pytest.raises(asyncio.CancelledError):
            await first
    assert len(runs) == 1
    assert fetch.cache_info() == (2, 1, 128, 1)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_cancelled_joiner_task_affects_only_that_joiner() -> None:
    """Task.cancel() of a joiner's task leaves the leader and the other joiners running."""
    release = asyncio.Event()
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 7

    with anyio.fail_after(TIMEOUT):
        leader = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        cancelled = asyncio.create_task(fetch(1))
        other = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        cancelled.cancel()
        await anyio.wait_all_tasks_blocked()
        assert cancelled.cancelled()
        assert not leader.done()
        assert not other.done()
        release.set()
        assert await leader == 7
        assert await other == 7
    assert runs == [1]
    assert fetch.cache_info() == (2, 1, 128, 1)


async def test_cancelling_every_caller_cancels_the_function() -> None:
    """Cancelling the gather of every caller delivers CancelledError inside the function,
    runs its finally and leaves nothing in flight."""
    seen: list[type[BaseException]] = []
    finalised: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await asyncio.Event().wait()
        except BaseException as exc:
            seen.append(type(exc))
            raise
        finally:
            finalised.append(x)
        return x

    with anyio.fail_after(TIMEOUT):
        gathered = asyncio.gather(*(fetch(1) for _ in range(4)))
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_parameters()["tasks"] == 1
        gathered.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gathered
    assert seen
    assert all(kind is asyncio.CancelledError for kind in seen)
    assert len(finalised) == len(seen)
    assert fetch.cache_parameters()["tasks"] == 0
    assert not fetch.cache_contains(1)


async def test_exception_reaches_every_gathered_joiner() -> None:
    """A failure of the shared run reaches every gathered caller and is not cached."""
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await asyncio.sleep(0)
        raise Boom(x)

    with anyio.fail_after(TIMEOUT):
        outcomes = await asyncio.gather(*(fetch(1) for _ in range(5)), return_exceptions=True)
    assert runs == [1]
    assert all(isinstance(outcome, Boom) for outcome in outcomes)
    assert all(outcome is outcomes[0] for outcome in outcomes)
    assert fetch.cache_info() == (4, 1, 128, 0)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_call_after_invalidate_in_flight_starts_a_new_computation() -> None:
    """After cache_invalidate of an in-flight key, a new task runs the function anew while
    the tasks of the old run still get the old result."""
    gates = [asyncio.Event(), asyncio.Event()]
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        n = len(runs)
        runs.append(x)
        await gates[n].wait()
        return n

    with anyio.fail_after(TIMEOUT):
        old = [asyncio.create_task(fetch(1)) for _ in range(2)]
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_invalidate(1)
        new = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        assert runs == [1, 1]
        gates[0].set()
        assert await asyncio.gather(*old) == [0, 0]
        assert not new.done()
        gates[1].set()
        assert await new == 1
        assert await fetch(1) == 1
    assert fetch.cache_info() == (2, 2, 128, 1)


# --- close -----------------------------------------------------------------------------


async def test_close_during_gathered_flights_gives_every_caller_cache_closed_error() -> None:
    """cache_close() while gathered calls are in flight makes every caller raise
    CacheClosedError, never CancelledError, and runs the functions' finally."""
    finalised: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await asyncio.Event().wait()
        finally:
            finalised.append(x)
        return x

    with anyio.fail_after(TIMEOUT):
        gathered = asyncio.gather(*(fetch(x) for x in (1, 1, 1, 2, 2)), return_exceptions=True)
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_parameters()["tasks"] == 2
        await fetch.cache_close()
        assert sorted(finalised) == [1, 2]
        outcomes = await gathered
    assert [type(outcome) for outcome in outcomes] == [CacheClosedError] * 5
    assert fetch.cache_parameters()["tasks"] == 0
    assert fetch.cache_parameters()["closed"] is True


async def test_close_does_not_swallow_the_leaders_own_cancellation() -> None:
    """A leader task cancelled by its user as cache_close() stops its run still ends
    cancelled; its joiners get CacheClosedError."""

    @alru_cache
    async def fetch(x: int) -> int:
        await asyncio.Event().wait()
        return x

    with anyio.fail_after(TIMEOUT):
        leader = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        joiner = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        leader.cancel()
        await fetch.cache_close()
        outcomes = await asyncio.gather(leader, joiner, return_exceptions=True)
    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert leader.cancelled()
    assert isinstance(outcomes[1], CacheClosedError)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_close_stops_a_function_running_its_own_tasks() -> None:
    """cache_close() stops a function that awaits tasks of its own: the tasks are
    cancelled and the callers get CacheClosedError."""
    children_cancelled: list[int] = []

    async def child(x: int) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            children_cancelled.append(x)
            raise

    @alru_cache
    async def fetch(x: int) -> int:
        await asyncio.gather(child(x), child(x))
        return x

    with anyio.fail_after(TIMEOUT):
        gathered = asyncio.gather(fetch(1), fetch(1), return_exceptions=True)
        await anyio.wait_all_tasks_blocked()
        await fetch.cache_close()
        outcomes = await gathered
    assert [type(outcome) for outcome in outcomes] == [CacheClosedError] * 2
    assert children_cancelled == [1, 1]


async def test_close_with_wait_lets_gathered_callers_finish() -> None:
    """cache_close(wait=True) returns once the gathered calls' computations have stored
    their results, which the callers then get, and refuses calls made meanwhile."""
    release = asyncio.Event()

    @alru_cache
    async def fetch(x: int) -> int:
        await release.wait()
        return 10 * x

    with anyio.fail_after(TIMEOUT):
        gathered = asyncio.gather(fetch(1), fetch(1), fetch(2))
        await anyio.wait_all_tasks_blocked()
        closing = asyncio.create_task(fetch.cache_close(wait=True))
        await anyio.wait_all_tasks_blocked()
        assert not closing.done()
        with pytest.raises(CacheClosedError):
            await fetch(3)
        release.set()
        await closing
        # close returned once the computations ended and stored their results;
        # their callers resume afterwards
        assert fetch.cache_parameters()["tasks"] == 0
        assert fetch.cache_contains(1)
        assert fetch.cache_contains(2)
        assert list(await gathered) == [10, 10, 20]
    assert fetch.cache_contains(1)
    assert fetch.cache_contains(2)
    assert fetch.cache_parameters()["tasks"] == 0


# --- asyncio.wait_for ------------------------------------------------------------------


async def test_wait_for_timeout_of_a_joiner_affects_only_that_joiner() -> None:
    """asyncio.wait_for around a joiner raises TimeoutError in that caller only."""
    release = asyncio.Event()
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 5

    with anyio.fail_after(TIMEOUT):
        leader = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(fetch(1), timeout=0.01)
        assert not leader.done()
        assert fetch.cache_parameters()["tasks"] == 1
        release.set()
        assert await leader == 5
    assert runs == [1]
    assert fetch.cache_info() == (1, 1, 128, 1)


async def test_wait_for_timeout_of_the_first_caller_leaves_the_run_to_a_joiner() -> None:
    """asyncio.wait_for around the first caller raises TimeoutError in that caller only;
    the function runs on, once, and a joiner gets its result."""
    release = asyncio.Event()
    started = asyncio.Event()
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        started.set()
        await release.wait()
        return len(runs)

    with anyio.fail_after(TIMEOUT):
        leading = asyncio.create_task(asyncio.wait_for(fetch(1), timeout=0.05))
        await started.wait()
        joining = asyncio.create_task(fetch(1))
        await asyncio.sleep(0)
        # Joined unless the loop stalled past the timeout (then it found no flight
        # to join and started run 2).
        joined = not leading.done()
        with pytest.raises(asyncio.TimeoutError):
            await leading
        await anyio.wait_all_tasks_blocked()
        assert runs == ([1] if joined else [1, 1])
        assert fetch.cache_parameters()["tasks"] == 1
        release.set()
        assert await joining == len(runs)
    assert fetch.cache_info() == ((1, 1, 128, 1) if joined else (0, 2, 128, 1))


# --- Python 3.11+: Task.cancelling() and asyncio.timeout ----------------------------------

if sys.version_info >= (3, 11):  # defined only where the APIs exist, for the checkers too

    async def test_close_leaves_no_cancellation_pending_on_the_leader_task() -> None:
        """The leader's task, stopped by cache_close(), can await again afterwards: close
        withdrew its cancellation request."""
        after: list[int] = []

        @alru_cache
        async def fetch(x: int) -> int:
            await asyncio.Event().wait()
            return x

        async def leader() -> None:
            task = asyncio.current_task()
            assert task is not None
            with pytest.raises(CacheClosedError):
                await fetch(1)
            after.append(task.cancelling())
            await asyncio.sleep(0)  # would raise CancelledError if a cancellation were left
            after.append(task.cancelling())

        with anyio.fail_after(TIMEOUT):
            task = asyncio.create_task(leader())
            await anyio.wait_all_tasks_blocked()
            await fetch.cache_close()
            await task
        assert after == [0, 0]
        assert not task.cancelled()

    async def test_asyncio_timeout_of_a_joiner_affects_only_that_joiner() -> None:
        """A joiner whose asyncio.timeout expires gets TimeoutError; the leader and the other
        joiners go on to the one result."""
        release = asyncio.Event()
        runs: list[int] = []
        timeouts: list[asyncio.Timeout] = []

        @alru_cache
        async def fetch(x: int) -> int:
            runs.append(x)
            await release.wait()
            return 3

        async def impatient() -> int:
            async with asyncio.timeout(None) as timeout:
                timeouts.append(timeout)
                return await fetch(1)

        with anyio.fail_after(TIMEOUT):
            leader = asyncio.create_task(fetch(1))
            await anyio.wait_all_tasks_blocked()
            joiner = asyncio.create_task(impatient())
            other = asyncio.create_task(fetch(1))
            await anyio.wait_all_tasks_blocked()
            timeouts[0].reschedule(asyncio.get_running_loop().time())
            with pytest.raises(TimeoutError):
                await joiner
            assert not leader.done()
            release.set()
            assert list(await asyncio.gather(leader, other)) == [3, 3]
        assert runs == [1]
        assert fetch.cache_info() == (2, 1, 128, 1)

    async def test_asyncio_timeout_of_the_first_caller_leaves_the_run_to_the_others() -> None:
        """A first caller whose asyncio.timeout expires gets TimeoutError; the function
        runs on, once, and the joiners get its result."""
        release = asyncio.Event()
        runs: list[int] = []
        timeouts: list[asyncio.Timeout] = []

        @alru_cache
        async def fetch(x: int) -> int:
            runs.append(x)
            n = len(runs)
            await release.wait()
            return n

        async def impatient() -> int:
            async with asyncio.timeout(None) as timeout:
                timeouts.append(timeout)
                return await fetch(1)

        with anyio.fail_after(TIMEOUT):
            leader = asyncio.create_task(impatient())
            await anyio.wait_all_tasks_blocked()
            joiners = [asyncio.create_task(fetch(1)) for _ in range(2)]
            await anyio.wait_all_tasks_blocked()
            timeouts[0].reschedule(asyncio.get_running_loop().time())
            with pytest.raises(TimeoutError):
                await leader
            await anyio.wait_all_tasks_blocked()
            assert runs == [1]
            assert fetch.cache_parameters()["tasks"] == 1
            release.set()
            assert await asyncio.gather(*joiners) == [1, 1]
        assert runs == [1]
        assert fetch.cache_info() == (2, 1, 128, 1)


# --- event loops and threads -----------------------------------------------------------


def test_successive_asyncio_runs_keep_entries_and_counters() -> None:
    """One cached function used by two asyncio.run() calls keeps its entries and
    counters, and emits no warning."""
    runs: list[int] = []

    @alru_cache(maxsize=3)
    async def fetch(x: int) -> int:
        runs.append(x)
        await asyncio.sleep(0)
        return 2 * x

    async def first() -> list[int]:
        return list(await asyncio.gather(fetch(1), fetch(2), fetch(1)))

    async def second() -> list[int]:
        return list(await asyncio.gather(fetch(1), fetch(2), fetch(3), fetch(3)))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(first()) == [2, 4, 2]
        assert fetch.cache_info() == (1, 2, 3, 2)
        assert asyncio.run(second()) == [2, 4, 6, 6]
    assert [str(warning.message) for warning in caught] == []
    assert runs == [1, 2, 3]
    assert fetch.cache_info() == (4, 3, 3, 3)


def test_flight_left_by_an_ended_asyncio_run_blocks_no_later_run() -> None:
    """A leader task still in flight when asyncio.run() ends is cancelled by it, leaves
    no computation behind, and the next asyncio.run() computes the value."""
    finalised: list[int] = []
    blocked = True
    leaders: list[asyncio.Task[int]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            if blocked:
                await asyncio.Event().wait()
        finally:
            finalised.append(x)
        return 2 * x

    async def leave_a_leader_behind() -> None:
        leaders.append(asyncio.create_task(fetch(1)))
        await anyio.wait_all_tasks_blocked()  # the function is running
        assert fetch.cache_parameters()["tasks"] == 1

    asyncio.run(leave_a_leader_behind())
    assert leaders[0].cancelled()
    assert finalised == [1]
    assert fetch.cache_parameters()["tasks"] == 0
    blocked = False
    assert asyncio.run(asyncio.wait_for(fetch(1), TIMEOUT)) == 2
    assert fetch.cache_info() == (0, 2, 128, 1)


async def test_call_from_a_loop_in_another_thread_never_awaits_this_loops_flight() -> None:
    """While a computation is in flight in this loop, an equal call from an asyncio loop
    in another thread computes on its own and returns; this loop's callers still get
    their own run's result."""
    main_thread = threading.get_ident()
    release = asyncio.Event()
    runs: list[str] = []

    @alru_cache
    async def fetch(x: int) -> int:
        if threading.get_ident() == main_thread:
            runs.append("here")
            await release.wait()
            return 10 * x
        runs.append("there")
        await asyncio.sleep(0)
        return 10 * x + 1

    def call_in_another_loop() -> int:
        return asyncio.run(asyncio.wait_for(fetch(1), TIMEOUT))

    with anyio.fail_after(TIMEOUT):
        leader = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        joiner = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        there = await anyio.to_thread.run_sync(call_in_another_loop, abandon_on_cancel=True)
        assert there == 11
        assert runs == ["here", "there"]
        assert not leader.done()
        release.set()
        assert list(await asyncio.gather(leader, joiner)) == [10, 10]
        assert await fetch(1) in (10, 11)
    info = fetch.cache_info()
    assert (info.hits, info.misses) == (2, 2)
    assert fetch.cache_parameters()["tasks"] == 0


# --- async-lru 2.4.0's public behaviour --------------------------------------------------


async def test_upstream_cache_info_counts_gathered_hits_and_misses() -> None:
    """As in async-lru: gathered calls count hits and misses, cache_clear resets them."""

    @alru_cache(maxsize=4)
    async def echo(x: int) -> int:
        return x

    assert await asyncio.gather(*(echo(x) for x in (1, 2, 3))) == [1, 2, 3]
    assert echo.cache_info() == (0, 3, 4, 3)
    echo.cache_clear()
    assert echo.cache_info() == (0, 0, 4, 0)
    assert await asyncio.gather(*(echo(x) for x in (1, 1, 1))) == [1, 1, 1]
    assert echo.cache_info() == (2, 1, 4, 1)
    echo.cache_clear()
    inputs = [1, 2, 3, 4] * 2
    assert await asyncio.gather(*(echo(x) for x in inputs)) == inputs
    assert echo.cache_info() == (4, 4, 4, 4)


async def test_upstream_least_recently_used_keys_are_evicted() -> None:
    """As in async-lru: with maxsize=3, calls 3, 4, 5 then 3, 2, 1 keep 3, 2 and 1."""

    @alru_cache(maxsize=3)
    async def echo(x: int) -> int:
        return x

    for x in (3, 4, 5, 3, 2, 1):
        assert await echo(x) == x
    assert echo.cache_info() == (1, 5, 3, 3)
    assert [x for x in (1, 2, 3, 4, 5) if echo.cache_contains(x)] == [1, 2, 3]


@pytest.mark.parametrize("cancelled", [0, 1, 2, 3])
async def test_upstream_function_finishes_unless_every_caller_is_cancelled(
    cancelled: int,
) -> None:
    """As in async-lru: of three tasks calling with one key, cancelling some leaves the
    function to finish for the others; cancelling all three stops it."""
    release = asyncio.Event()
    finished: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        await release.wait()
        finished.append(x)
        return x

    with anyio.fail_after(TIMEOUT):
        tasks = [asyncio.create_task(fetch(1)) for _ in range(3)]
        await anyio.wait_all_tasks_blocked()
        for task in tasks[:cancelled]:
            task.cancel()
        await anyio.wait_all_tasks_blocked()
        release.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert finished == ([1] if cancelled < 3 else [])
    assert [isinstance(outcome, asyncio.CancelledError) for outcome in outcomes] == [
        index < cancelled for index in range(3)
    ]
    assert outcomes[cancelled:] == [1] * (3 - cancelled)


async def test_upstream_ttl_expiry_and_invalidation() -> None:
    """As in async-lru: a result is a hit until ttl passes, then a miss; an entry stored
    again after cache_invalidate gets a new deadline."""
    now = [0.0]

    @alru_cache(maxsize=None, ttl=0.2, timer=lambda: now[0])
    async def echo(x: int) -> int:
        return x

    assert await echo(1) == 1
    now[0] = 0.1
    assert await echo(1) == 1
    assert echo.cache_info() == (1, 1, None, 1)
    now[0] = 0.25
    assert echo.cache_info() == (1, 1, None, 0)
    assert await echo(1) == 1
    assert echo.cache_info() == (1, 2, None, 1)
    now[0] = 0.3
    assert echo.cache_invalidate(1)
    assert echo.cache_info() == (1, 2, None, 0)
    now[0] = 0.4
    assert await echo(1) == 1
    now[0] = 0.55  # past the invalidated entry's deadline, not the new one's
    assert echo.cache_info() == (1, 3, None, 1)
    assert echo.cache_contains(1)


async def test_upstream_cache_invalidate_returns_whether_an_entry_was_removed() -> None:
    """As in async-lru: cache_invalidate returns True for a cached call, False otherwise;
    argument order and, when typed, argument types are part of the key."""

    @alru_cache
    async def count(*args: int) -> int:
        return len(args)

    @alru_cache(typed=True)
    async def typed(x: float, a: int) -> float:
        return x + a

    assert not count.cache_invalidate(1, 2)
    assert await count(1, 2) == 2
    assert await count(2, 1) == 2
    assert not count.cache_invalidate(1, 2, 3)
    assert count.cache_invalidate(2, 1)
    assert not count.cache_invalidate(2, 1)
    assert count.cache_contains(1, 2)
    assert count.cache_info() == (0, 2, 128, 1)

    await typed(1, a=1)
    assert not typed.cache_invalidate(1.0, a=1)
    assert typed.cache_invalidate(1, a=1)
    assert typed.cache_info().currsize == 0


async def test_upstream_methods_are_cached_per_instance() -> None:
    """As in async-lru: a cached method keys on its instance, its bound cache_invalidate
    touches that instance only, and cache_info is shared by all instances."""
    calls: list[tuple[str, int]] = []

    class Client:
        def __init__(self, name: str) -> None:
            self.name = name

        @alru_cache
        async def get(self, x: int) -> str:
            calls.append((self.name, x))
            await asyncio.sleep(0)
            return f"{self.name}:{x}"

    a, b = Client("a"), Client("b")
    results = await asyncio.gather(a.get(1), b.get(1), a.get(1), b.get(2))
    assert list(results) == ["a:1", "b:1", "a:1", "b:2"]
    assert calls == [("a", 1), ("b", 1), ("b", 2)]
    assert a.get.cache_info() == b.get.cache_info() == (1, 3, 128, 3)
    assert a.get.cache_invalidate(1)
    assert not a.get.cache_contains(1)
    assert b.get.cache_contains(1)
