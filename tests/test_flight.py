"""In-flight computations: single flight, shared errors, cancellation, size, removal, close."""

from __future__ import annotations

import sys
import traceback
from types import FrameType

import anyio
import pytest

from async_lru import CacheClosedError, alru_cache

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class Boom(Exception):
    """The error a cached function raises in these tests."""


# --- single flight --------------------------------------------------------------------


async def test_concurrent_equal_calls_run_function_once() -> None:
    """N concurrent equal calls share one run: one miss, N - 1 hits, one result."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 10 * x

    async def call() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_parameters()["tasks"] == 1
            release.set()
    assert runs == [1]
    assert results == [10] * 5
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (4, 1, 1)
    assert slow.cache_parameters()["tasks"] == 0


async def test_concurrent_different_calls_run_separately() -> None:
    """Concurrent calls with different keys each run the function."""
    release = anyio.Event()
    runs: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return x

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(slow, i)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_parameters()["tasks"] == 3
            release.set()
    assert sorted(runs) == [0, 1, 2]
    assert slow.cache_info().misses == 3


# --- exceptions -----------------------------------------------------------------------


async def test_exception_is_shared_with_every_joiner() -> None:
    """Every caller of a failed run receives the very same exception object."""
    release = anyio.Event()
    runs: list[int] = []
    errors: list[BaseException] = []

    @alru_cache
    async def failing(x: int) -> int:
        runs.append(x)
        await release.wait()
        raise Boom(x)

    async def call() -> None:
        try:
            await failing(1)
        except Boom as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert runs == [1]
    assert len(errors) == 4
    assert all(exc is errors[0] for exc in errors)
    info = failing.cache_info()
    assert (info.hits, info.misses, info.currsize) == (3, 1, 0)
    assert failing.cache_parameters()["tasks"] == 0


async def test_each_caller_of_a_failure_sees_only_its_own_frames_and_the_leaders() -> None:
    """A failure shared by many callers is raised to each from the leader's
    traceback: no caller's traceback gathers the frames of the callers before it."""
    release = anyio.Event()
    tracebacks: list[list[str]] = []

    @alru_cache
    async def failing(x: int) -> int:
        await release.wait()
        raise Boom(x)

    async def call() -> None:
        try:
            await failing(1)
        except Boom as exc:
            tracebacks.append([entry.name for entry in traceback.extract_tb(exc.__traceback__)])

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert len(tracebacks) == 5
    for names in tracebacks:
        assert names.count("call") == 1
        assert names[-1] == "failing"


async def test_exception_is_not_cached() -> None:
    """After a failed run the next call runs the function again."""
    outcomes = [Boom("first"), None]

    @alru_cache
    async def flaky(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        error = outcomes.pop(0)
        if error is not None:
            raise error
        return x

    with pytest.raises(Boom, match="first"):
        await flaky(1)
    assert not flaky.cache_contains(1)
    assert await flaky(1) == 1
    assert outcomes == []
    info = flaky.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 2, 1)


async def test_failure_before_first_suspension_is_not_joined() -> None:
    """A function failing before it ever suspends is simply run again by the next caller."""
    runs: list[int] = []
    errors: list[Boom] = []

    @alru_cache
    async def failing(x: int) -> int:
        runs.append(x)
        raise Boom(len(runs))

    async def call() -> None:
        try:
            await failing(1)
        except Boom as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
    assert runs == [1, 1, 1]
    assert [exc.args for exc in errors] == [(1,), (2,), (3,)]
    info = failing.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 3, 0)
    assert failing.cache_parameters()["tasks"] == 0


# --- cancellation ---------------------------------------------------------------------


async def test_leader_cancel_hands_over_to_joiner() -> None:
    """A cancelled leader hands the run to a joiner: every joiner gets the value, the
    function ran twice and the counters are unchanged."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []
    leader_results: list[int] = []
    leader_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        n = len(runs)
        await release.wait()
        return n

    async def leader() -> None:
        with leader_scope:
            leader_results.append(await slow(1))

    async def joiner() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(leader)
            await anyio.wait_all_tasks_blocked()
            for _ in range(3):
                tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            assert runs == [1]
            leader_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            assert runs == [1, 1]
            assert slow.cache_parameters()["tasks"] == 1
            release.set()
    assert leader_scope.cancelled_caught
    assert leader_results == []
    assert results == [2, 2, 2]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (3, 1, 1)
    assert slow.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("ttl", [None, 60.0])
async def test_joiners_share_what_the_joiner_taking_over_stored_without_suspending(
    ttl: float | None,
) -> None:
    """When the joiner that takes over from a cancelled leader stores its result before
    the others wake, they get that result instead of each running the function."""
    runs: list[int] = []
    results: list[int] = []
    leader_scope = anyio.CancelScope()

    @alru_cache(ttl=ttl)
    async def first_run_slow(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            await anyio.sleep_forever()
        return len(runs)

    async def leader() -> None:
        with leader_scope:
            await first_run_slow(1)

    async def joiner() -> None:
        results.append(await first_run_slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(leader)
            await anyio.wait_all_tasks_blocked()
            for _ in range(3):
                tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            leader_scope.cancel()
    assert runs == [1, 1]
    assert results == [2, 2, 2]
    info = first_run_slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (3, 1, 1)


async def test_joiner_of_cancelled_leader_gets_closed_error_once_closed() -> None:
    """A joiner that would take over from a cancelled leader after cache_close() gets
    CacheClosedError, as a new call would, and the function is not run again."""
    runs: list[int] = []
    errors: list[BaseException] = []
    leader_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await anyio.sleep_forever()
        return x

    async def leader() -> None:
        with leader_scope:
            await slow(1)

    async def joiner() -> None:
        try:
            await slow(1)
        except CacheClosedError as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(leader)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            leader_scope.cancel()
            await slow.cache_close(wait=True)
    assert leader_scope.cancelled_caught
    assert runs == [1]
    assert len(errors) == 1
    assert slow.cache_parameters()["tasks"] == 0


async def test_joiner_cancel_affects_only_that_joiner() -> None:
    """A cancelled joiner leaves the leader and the other joiners running to the value."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []
    cancelled_results: list[int] = []
    joiner_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 7

    async def call() -> None:
        results.append(await slow(1))

    async def cancelled_joiner() -> None:
        with joiner_scope:
            cancelled_results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(cancelled_joiner)
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            joiner_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            assert joiner_scope.cancelled_caught
            assert slow.cache_parameters()["tasks"] == 1
            release.set()
    assert cancelled_results == []
    assert results == [7, 7]
    assert runs == [1]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 1, 1)


async def test_all_callers_cancelled_cancels_the_function() -> None:
    """When every caller is cancelled the function sees the cancellation, its finally
    runs and the slot is removed."""
    runs: list[int] = []
    cancelled: list[int] = []
    finalised: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        try:
            await anyio.Event().wait()
        except anyio.get_cancelled_exc_class():
            cancelled.append(x)
            raise
        finally:
            finalised.append(x)
        return x

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(slow, 1)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_contains(1)
            tg.cancel_scope.cancel()
    assert len(runs) >= 1
    assert cancelled == runs
    assert finalised == runs
    assert slow.cache_parameters()["tasks"] == 0
    assert not slow.cache_contains(1)
    assert slow.cache_info().currsize == 0


async def test_cancelled_lone_leader_leaves_no_slot() -> None:
    """A lone cancelled caller leaves no in-flight slot, and the next call runs anew."""
    runs: list[int] = []
    block = anyio.Event()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            await block.wait()
        return x

    scope = anyio.CancelScope()

    async def call() -> None:
        with scope:
            await slow(1)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            scope.cancel()
        assert scope.cancelled_caught
        assert slow.cache_parameters()["tasks"] == 0
        assert await slow(1) == 1
    assert runs == [1, 1]


# --- size -----------------------------------------------------------------------------


async def test_in_flight_entry_is_never_evicted() -> None:
    """An in-flight computation survives maxsize evictions and stays joinable."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache(maxsize=1)
    async def slow(x: int) -> int:
        runs.append(x)
        if x == 1:
            await release.wait()
        return x

    async def call() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            await slow(2)
            await slow(3)
            assert not slow.cache_contains(2)
            assert slow.cache_contains(1)
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert runs == [1, 2, 3]
    assert results == [1, 1]
    info = slow.cache_info()
    assert (info.hits, info.misses) == (1, 3)


async def test_maxsize_zero_still_deduplicates_concurrent_calls() -> None:
    """maxsize=0 stores nothing yet concurrent equal calls share one run."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache(maxsize=0)
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return x

    async def call() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert runs == [1]
    assert results == [1] * 4
    assert not slow.cache_contains(1)
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (3, 1, 0)


# --- invalidate, clear, contains during a flight --------------------------------------


async def test_contains_is_true_for_in_flight_key() -> None:
    """cache_contains is True for a key whose computation is in flight."""
    release = anyio.Event()

    @alru_cache
    async def slow(x: int) -> int:
        await release.wait()
        return x

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(slow, 1)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_contains(1)
            assert not slow.cache_contains(2)
            assert slow.cache_info().currsize == 1
            release.set()


async def test_invalidate_in_flight_delivers_but_does_not_store() -> None:
    """Invalidating an in-flight key still delivers its result to waiting callers, but
    the result is not stored."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 5

    async def call() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_invalidate(1)
            assert not slow.cache_contains(1)
            assert slow.cache_parameters()["tasks"] == 1  # still running, as in async-lru
            release.set()
    assert results == [5, 5]
    assert slow.cache_parameters()["tasks"] == 0
    assert not slow.cache_contains(1)
    assert slow.cache_info().currsize == 0
    await slow(1)
    assert runs == [1, 1]


async def test_call_after_invalidate_starts_new_computation() -> None:
    """A call made after invalidating an in-flight key runs the function again rather
    than joining the old run."""
    gates = [anyio.Event(), anyio.Event()]
    runs: list[int] = []
    results: dict[str, int] = {}

    @alru_cache
    async def slow(x: int) -> int:
        n = len(runs)
        runs.append(x)
        await gates[n].wait()
        return n

    async def call(name: str) -> None:
        results[name] = await slow(1)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "old")
            await anyio.wait_all_tasks_blocked()
            slow.cache_invalidate(1)
            tg.start_soon(call, "new")
            await anyio.wait_all_tasks_blocked()
            assert runs == [1, 1]
            gates[0].set()
            await anyio.wait_all_tasks_blocked()
            assert results == {"old": 0}
            assert slow.cache_contains(1)  # the new run is still in flight
            gates[1].set()
    assert results == {"old": 0, "new": 1}
    assert await slow(1) == 1
    info = slow.cache_info()
    assert (info.hits, info.misses) == (1, 2)


async def test_clear_in_flight_delivers_but_does_not_store() -> None:
    """cache_clear during a flight still delivers its result to waiting callers, stores
    nothing and leaves the counters reset."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 5

    async def call() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            slow.cache_clear()
            assert not slow.cache_contains(1)
            assert slow.cache_parameters()["tasks"] == 1  # still running, as in async-lru
            release.set()
    assert results == [5, 5]
    assert slow.cache_parameters()["tasks"] == 0
    assert not slow.cache_contains(1)
    assert slow.cache_info() == (0, 0, 128, 0)
    await slow(1)
    assert runs == [1, 1]


async def test_call_after_clear_starts_new_computation() -> None:
    """A call made after cache_clear during a flight runs the function again."""
    gates = [anyio.Event(), anyio.Event()]
    runs: list[int] = []
    results: dict[str, int] = {}

    @alru_cache
    async def slow(x: int) -> int:
        n = len(runs)
        runs.append(x)
        await gates[n].wait()
        return n

    async def call(name: str) -> None:
        results[name] = await slow(1)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "old")
            await anyio.wait_all_tasks_blocked()
            slow.cache_clear()
            tg.start_soon(call, "new")
            await anyio.wait_all_tasks_blocked()
            assert runs == [1, 1]
            gates[0].set()
            gates[1].set()
    assert results == {"old": 0, "new": 1}
    assert await slow(1) == 1
    info = slow.cache_info()
    assert (info.hits, info.misses) == (1, 1)


# --- close ----------------------------------------------------------------------------


async def test_close_without_wait_fails_every_caller() -> None:
    """cache_close(wait=False) stops the flights and every caller gets CacheClosedError."""
    runs: list[int] = []
    finalised: list[int] = []
    errors: list[CacheClosedError] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        try:
            await anyio.Event().wait()
        finally:
            finalised.append(x)
        return x

    async def call(x: int) -> None:
        try:
            await slow(x)
        except CacheClosedError as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for x in (1, 1, 1, 2):
                tg.start_soon(call, x)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_parameters()["tasks"] == 2
            await slow.cache_close()
            assert sorted(finalised) == [1, 2]
    assert len(errors) == 4
    assert sorted(runs) == [1, 2]
    assert slow.cache_parameters()["closed"] is True
    assert slow.cache_parameters()["tasks"] == 0


async def test_close_without_wait_sets_parameters() -> None:
    """After cache_close() the parameters say closed=True and tasks=0."""
    release = anyio.Event()

    @alru_cache
    async def slow(x: int) -> int:
        await release.wait()
        return x

    async def call() -> None:
        with pytest.raises(CacheClosedError):
            await slow(1)

    assert slow.cache_parameters()["closed"] is False
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            await slow.cache_close(wait=False)
            params = slow.cache_parameters()
            assert (params["closed"], params["tasks"]) == (True, 0)


async def test_calls_after_close_raise_even_for_hits() -> None:
    """After cache_close() every call raises CacheClosedError, stored keys included."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    await echo.cache_close()
    with pytest.raises(CacheClosedError):
        await echo(1)
    with pytest.raises(CacheClosedError):
        await echo(2)
    assert calls == [1]


async def test_close_with_wait_lets_flights_finish_and_store() -> None:
    """cache_close(wait=True) returns only after the flights delivered and stored."""
    release = anyio.Event()
    closed = anyio.Event()
    results: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        await release.wait()
        return 10 * x

    async def call() -> None:
        results.append(await slow(1))

    async def close() -> None:
        await slow.cache_close(wait=True)
        closed.set()

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(close)
            await anyio.wait_all_tasks_blocked()
            assert not closed.is_set()
            assert slow.cache_parameters()["closed"] is True
            release.set()
    assert closed.is_set()
    assert results == [10, 10]
    assert slow.cache_contains(1)
    assert slow.cache_info().currsize == 1
    assert slow.cache_parameters()["tasks"] == 0


async def test_close_twice_is_a_no_op() -> None:
    """A second cache_close() returns quietly and changes nothing."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    await echo(1)
    await echo.cache_close()
    before = echo.cache_info()
    with anyio.fail_after(TIMEOUT):
        await echo.cache_close()
        await echo.cache_close(wait=True)
    assert echo.cache_info() == before
    assert echo.cache_parameters()["closed"] is True
    assert echo.cache_contains(1)


async def test_concurrent_closes_give_the_caller_cache_closed_error() -> None:
    """Two cache_close() calls at once stop a computation once: its caller gets
    CacheClosedError, not a cancellation left over by the second close."""
    outcomes: list[type[BaseException]] = []

    @alru_cache
    async def slow(x: int) -> int:
        await anyio.sleep_forever()
        return x

    async def call() -> None:
        try:
            await slow(1)
        except BaseException as exc:
            outcomes.append(type(exc))
            if not isinstance(exc, CacheClosedError):
                raise

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            async with anyio.create_task_group() as closers:
                closers.start_soon(slow.cache_close)
                closers.start_soon(slow.cache_close)
    assert outcomes == [CacheClosedError]
    assert slow.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("removal", ["invalidate", "clear"])
async def test_close_stops_a_computation_removed_while_in_flight(removal: str) -> None:
    """A computation invalidated or cleared while in flight still runs, counts as a
    task, and cache_close() stops it: its caller gets CacheClosedError and close
    returns once it has unwound."""
    finalised: list[int] = []
    errors: list[CacheClosedError] = []

    @alru_cache
    async def slow(x: int) -> int:
        try:
            await anyio.sleep_forever()
        finally:
            finalised.append(x)
        return x

    async def call() -> None:
        try:
            await slow(1)
        except CacheClosedError as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            if removal == "invalidate":
                assert slow.cache_invalidate(1)
            else:
                slow.cache_clear()
            assert slow.cache_parameters()["tasks"] == 1
            await slow.cache_close()
            assert finalised == [1]
    assert len(errors) == 1
    assert slow.cache_parameters()["tasks"] == 0


async def test_timer_error_while_storing_reaches_every_caller() -> None:
    """A timer that raises when the result is stored fails the leader and its
    joiners alike; nobody waits for a result that will not come."""
    release = anyio.Event()
    failing = False

    def timer() -> float:
        if failing:
            raise Boom("no clock")
        return 0.0

    @alru_cache(ttl=10, timer=timer)
    async def slow(x: int) -> int:
        await release.wait()
        return x

    errors: list[BaseException] = []

    async def call() -> None:
        try:
            await slow(1)
        except Boom as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            failing = True
            release.set()
    assert len(errors) == 3
    assert slow.cache_parameters()["tasks"] == 0


def _stack_depth() -> int:
    """Return how many frames the calling thread's stack holds."""
    depth = 0
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


async def test_each_level_of_recursion_takes_three_frames() -> None:
    """A recursive cached function spends three frames per level on a miss (the call,
    the miss path and the function), so deep recursion fits the recursion limit."""
    depths: dict[int, int] = {}

    @alru_cache(maxsize=None)
    async def down(n: int) -> int:
        depths[n] = _stack_depth()
        return n if n == 0 else await down(n - 1)

    assert await down(5) == 0
    assert [depths[n - 1] - depths[n] for n in range(5, 0, -1)] == [3] * 5


async def test_recursive_function_100_levels_deep() -> None:
    """A cached function that recurses 100 levels deep, each level a miss, works."""

    @alru_cache(maxsize=None)
    async def fib(n: int) -> int:
        return n if n < 2 else await fib(n - 1) + await fib(n - 2)

    assert await fib(100) == 354224848179261915075
    assert fib.cache_info().misses == 101
