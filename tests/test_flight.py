"""In-flight computations: single flight, shared errors, cancellation, size, removal, close."""

from __future__ import annotations

import sys
import traceback

import anyio
import anyio.lowlevel
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


async def test_each_caller_of_a_failure_sees_only_its_own_frames_and_the_functions() -> None:
    """A failure shared by many callers is raised to each from the function's own
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


async def test_failure_before_first_suspension_is_shared_with_callers_meanwhile(
    anyio_backend: str,
) -> None:
    """A function that fails before it ever suspends fails every caller that called
    while it was in flight with that one failure: callers started in the same loop
    iteration share one run, unless an eager start (asyncio, Python 3.12+) ended the
    run inside the first call, before the next caller came."""
    eager = anyio_backend == "asyncio" and sys.version_info >= (3, 12)
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
    info = failing.cache_info()
    if eager:
        assert runs == [1, 1, 1]
        assert [exc.args for exc in errors] == [(1,), (2,), (3,)]
        assert (info.hits, info.misses, info.currsize) == (0, 3, 0)
    else:
        assert runs == [1]
        assert len(errors) == 3
        assert all(exc is errors[0] for exc in errors)
        assert errors[0].args == (1,)
        assert (info.hits, info.misses, info.currsize) == (2, 1, 0)
    assert failing.cache_parameters()["tasks"] == 0


# --- cancellation ---------------------------------------------------------------------


async def test_first_callers_cancellation_leaves_the_computation_to_the_others() -> None:
    """The first caller's cancellation affects that caller only: the function runs on,
    once, and every other caller gets its value; the counters are unchanged."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []
    first_results: list[int] = []
    first_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        n = len(runs)
        await release.wait()
        return n

    async def first() -> None:
        with first_scope:
            first_results.append(await slow(1))

    async def joiner() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            for _ in range(3):
                tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            assert runs == [1]
            first_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            assert first_scope.cancelled_caught
            assert runs == [1]
            assert slow.cache_parameters()["tasks"] == 1
            release.set()
    assert first_results == []
    assert results == [1, 1, 1]
    assert runs == [1]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (3, 1, 1)
    assert slow.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("ttl", [None, 60.0])
async def test_result_of_a_computation_its_first_caller_left_is_stored(
    ttl: float | None,
) -> None:
    """A computation whose first caller was cancelled stores its result (with or without
    ttl) and delivers it to the callers still waiting: a later call is a hit."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []
    first_scope = anyio.CancelScope()

    @alru_cache(ttl=ttl)
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return len(runs)

    async def first() -> None:
        with first_scope:
            await slow(1)

    async def joiner() -> None:
        results.append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            for _ in range(3):
                tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            first_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert first_scope.cancelled_caught
        assert results == [1, 1, 1]
        assert slow.cache_contains(1)
        assert await slow(1) == 1
    assert runs == [1]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (4, 1, 1)


async def test_close_stops_a_computation_its_first_caller_left() -> None:
    """cache_close() stops a computation whose first caller was cancelled: the caller
    still waiting gets CacheClosedError, and the function is not run again."""
    runs: list[int] = []
    finalised: list[int] = []
    errors: list[BaseException] = []
    first_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        try:
            await anyio.sleep_forever()
        finally:
            finalised.append(x)
        return x

    async def first() -> None:
        with first_scope:
            await slow(1)

    async def joiner() -> None:
        try:
            await slow(1)
        except CacheClosedError as exc:
            errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            first_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            assert first_scope.cancelled_caught
            assert finalised == []
            await slow.cache_close()
            assert finalised == [1]
    assert runs == [1]
    assert len(errors) == 1
    assert slow.cache_parameters()["tasks"] == 0


async def test_close_with_wait_lets_a_computation_its_first_caller_left_deliver() -> None:
    """cache_close(wait=True) lets a computation whose first caller was cancelled
    finish: the caller still waiting gets its value, which is stored."""
    release = anyio.Event()
    runs: list[int] = []
    results: list[int] = []
    first_scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 10 * x

    async def first() -> None:
        with first_scope:
            await slow(1)

    async def joiner() -> None:
        results.append(await slow(1))

    async def close() -> None:
        await slow.cache_close(wait=True)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(joiner)
            await anyio.wait_all_tasks_blocked()
            first_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(close)
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_parameters()["closed"] is True
            release.set()
    assert first_scope.cancelled_caught
    assert runs == [1]
    assert results == [10]
    assert slow.cache_contains(1)
    assert slow.cache_parameters()["tasks"] == 0


async def test_joiner_cancel_affects_only_that_joiner() -> None:
    """A cancelled joiner leaves the computation and the other callers running to the
    value."""
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
    """When every caller is cancelled the function, run once, sees the cancellation,
    its finally runs and the flight is removed."""
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
    assert runs == [1]
    assert cancelled == runs
    assert finalised == runs
    assert slow.cache_parameters()["tasks"] == 0
    assert not slow.cache_contains(1)
    assert slow.cache_info().currsize == 0


async def test_cancelled_lone_caller_leaves_no_flight() -> None:
    """A lone cancelled caller leaves no computation in flight, and the next call runs
    anew."""
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
    """A timer that raises when the result is stored fails every caller alike;
    nobody waits for a result that will not come."""
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


@pytest.mark.parametrize("suspends", [False, True], ids=["returns-at-once", "suspends"])
async def test_recursion_through_distinct_keys_2000_levels_deep(suspends: bool) -> None:
    """A cached function that recurses 2,000 levels deep through distinct keys, each
    level a miss that returns without suspending or that suspends before it recurses,
    works within the unchanged recursion limit: the levels do not pile their frames on
    one stack."""
    limit = sys.getrecursionlimit()
    assert limit < 2000  # else the depth would prove nothing

    @alru_cache(maxsize=None)
    async def down(n: int) -> int:
        if suspends:
            await anyio.lowlevel.checkpoint()
        return 0 if n == 0 else 1 + await down(n - 1)

    with anyio.fail_after(TIMEOUT):
        assert await down(2000) == 2000
    assert sys.getrecursionlimit() == limit
    info = down.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 2001, 2001)
    assert down.cache_parameters()["tasks"] == 0


async def test_recursive_function_100_levels_deep() -> None:
    """A cached function that recurses 100 levels deep, each level a miss, works."""

    @alru_cache(maxsize=None)
    async def fib(n: int) -> int:
        return n if n < 2 else await fib(n - 1) + await fib(n - 2)

    assert await fib(100) == 354224848179261915075
    assert fib.cache_info().misses == 101
