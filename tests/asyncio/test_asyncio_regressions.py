"""Regression tests of the runner-owned flights, on asyncio: a runner Task
cancelled before its first step, a task the function creates and does not await, an
error raised while a cancelled computation unwinds, and the flight of a closed loop.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

import anyio
import pytest

from async_lru import alru_cache
from async_lru._wrapper import _LRUCacheWrapper

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10

# Recursion deep enough that on Python 3.12+, past the 40 nested eager starts, a
# runner starts lazily, on the loop's next iteration, as every runner does before 3.12.
DEPTH = 60

T = TypeVar("T")


def run_in_a_thread(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Return ``asyncio.run(main())``, run in a daemon thread: a run that hangs where no
    cancellation reaches (a shielded wait, asyncio.run()'s shutdown) fails the test
    after TIMEOUT instead of blocking it."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(main()))
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the event loop run hangs"
    if errors:
        raise errors[0]
    return results[0]


def recursive(started: list[int]) -> _LRUCacheWrapper[[int], int]:
    """Return a cached function that recurses DEPTH levels through distinct keys down
    to 0, which blocks forever; *started* records each level that began."""

    @alru_cache(maxsize=None)
    async def depth(n: int) -> int:
        started.append(n)
        if n == 0:
            await asyncio.Event().wait()
            return 0
        return 1 + await depth(n - 1)

    return depth


def not_started(tasks: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Return those of *tasks* that have not taken their first step."""
    return [
        task
        for task in tasks
        if inspect.getcoroutinestate(cast("Coroutine[Any, Any, Any]", task.get_coro()))
        == inspect.CORO_CREATED
    ]


# --- a runner Task cancelled before its first step -------------------------------------


def test_shutdown_of_asyncio_run_ends_a_forgotten_caller_of_a_lazily_started_runner() -> None:
    """asyncio.run() returns although its shutdown cancels a fire-and-forget caller of
    a recursive cached function and the runner started lazily below it before that
    runner's first step; the caller ends cancelled and nothing is reported."""
    started: list[int] = []
    depth = recursive(started)
    reported: list[dict[str, Any]] = []
    callers: list[asyncio.Task[int]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        callers.append(loop.create_task(depth(DEPTH)))  # main returns at once

    run_in_a_thread(main)
    assert 0 not in started  # the recursion stopped at a runner that never stepped
    assert callers[0].cancelled()
    assert reported == []


def test_cancelling_every_task_before_a_lazily_started_runner_steps_ends_them_all() -> None:
    """Cancelling every task right after a call started (its caller, the runners started
    and the one started lazily, which has not stepped yet) ends them all, the caller
    cancelled, and leaves no task counted and nothing in flight."""
    started: list[int] = []
    depth = recursive(started)

    async def main() -> None:
        before = asyncio.all_tasks()
        caller = asyncio.create_task(depth(DEPTH))
        await asyncio.sleep(0)  # the caller has made its call
        tasks = asyncio.all_tasks() - before
        assert len(not_started(tasks)) == 1
        for task in tasks:
            task.cancel()
        with anyio.fail_after(TIMEOUT):
            await asyncio.wait(tasks)
        assert caller.cancelled()
        assert depth.cache_parameters()["tasks"] == 0
        assert depth.cache_info().currsize == 0
        assert not depth.cache_contains(DEPTH)

    run_in_a_thread(main)
    assert 0 not in started


def test_runner_cancelled_before_its_first_step_fails_its_callers_with_runtime_error() -> None:
    """A runner Task that something else cancels before its first step fails the caller
    that was not cancelled with RuntimeError caused by the CancelledError, instead of
    leaving it waiting forever; nothing is left in flight."""
    started: list[int] = []
    depth = recursive(started)

    async def main() -> None:
        caller = asyncio.create_task(depth(DEPTH))
        await asyncio.sleep(0)  # the caller has made its call
        (runner,) = not_started(asyncio.all_tasks())
        runner.cancel()
        with (
            anyio.fail_after(TIMEOUT),
            pytest.raises(
                RuntimeError,
                match="ended with CancelledError, although neither its callers nor the"
                " cache cancelled it",
            ) as caught,
        ):
            await caller
        assert isinstance(caught.value.__cause__, asyncio.CancelledError)
        assert depth.cache_parameters()["tasks"] == 0
        assert depth.cache_info().currsize == 0

    run_in_a_thread(main)
    assert 0 not in started


# --- no false self-wait ------------------------------------------------------------------


async def test_task_the_function_creates_and_does_not_await_gets_its_value() -> None:
    """A task that the function creates with asyncio.create_task, keeps in a set and
    does not await, calling the same key, gets the function's value, not RuntimeError."""
    background: set[asyncio.Task[dict[str, bool]]] = set()
    joined = asyncio.Event()

    @alru_cache
    async def get_config() -> dict[str, bool]:
        background.add(asyncio.create_task(audit()))
        await joined.wait()
        return {"debug": True}

    async def audit() -> dict[str, bool]:
        joined.set()  # the call below joins before get_config() resumes
        return await get_config()

    with anyio.fail_after(TIMEOUT):
        assert await get_config() == {"debug": True}
        assert await background.pop() == {"debug": True}
    assert get_config.cache_info()[:2] == (1, 1)
    assert get_config.cache_parameters()["tasks"] == 0


# --- an error raised while unwinding -------------------------------------------------------


async def test_error_raised_while_unwinding_reaches_the_cancelled_last_caller() -> None:
    """An error that the function raises in its finally, once Task.cancel() of its last
    caller has cancelled it, is what that caller's task raises instead of its
    cancellation, as without the cache; nothing is stored."""
    runs: list[int] = []

    class CleanupFailed(Exception):
        pass

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            try:
                await asyncio.Event().wait()
            finally:
                raise CleanupFailed  # the failing cleanup under test
        return x

    with anyio.fail_after(TIMEOUT):
        caller = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        caller.cancel()
        with pytest.raises(CleanupFailed):
            await caller
        assert not caller.cancelled()
        assert fetch.cache_info().currsize == 0
        assert fetch.cache_parameters()["tasks"] == 0
        assert await fetch(1) == 1
    assert runs == [1, 1]


# --- the flight of a closed loop -----------------------------------------------------------


def leave_a_flight_in_a_closed_loop(fetch: Callable[[int], Coroutine[Any, Any, int]]) -> object:
    """Start fetch(1) in a new event loop, close the loop with the computation pending,
    and return the loop."""

    async def leave_a_caller_behind() -> asyncio.Task[int]:
        task = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        return task

    loop = asyncio.new_event_loop()
    caller = loop.run_until_complete(leave_a_caller_behind())
    loop.close()
    del caller
    return loop


@pytest.mark.parametrize("after", ["a-later-call", "cache-info"])
def test_flight_of_a_closed_loop_leaves_the_registry(after: str) -> None:
    """The flight of a key left pending by a loop that was then closed is dropped from
    the cache's registry once a later run computes that key, or once cache_info()
    counts the flights."""
    blocked = True

    @alru_cache
    async def fetch(x: int) -> int:
        if blocked:
            await asyncio.Event().wait()
        return 2 * x

    closed = leave_a_flight_in_a_closed_loop(fetch)
    assert [list(runs) for runs in fetch._flights.slots.values()] == [[closed]]
    blocked = False
    if after == "a-later-call":
        assert asyncio.run(asyncio.wait_for(fetch(1), TIMEOUT)) == 2
    else:
        assert fetch.cache_info().currsize == 0
    assert fetch._flights.slots == {}
    gc.collect()
    assert fetch._flights.slots == {}


def test_runner_never_started_by_a_closed_loop_is_dropped_without_a_warning() -> None:
    """A loop stopped right after a miss and then closed leaves a runner that never
    started (on Python 3.12+ it started eagerly); clearing the cache lets go of it
    without a "coroutine was never awaited" warning, which the suite makes an error."""

    @alru_cache
    async def value(x: int) -> int:
        await anyio.sleep_forever()
        return x

    destroyed: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _, context: destroyed.append(context["message"]))
    caller = loop.create_task(value(1))
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    assert value.cache_parameters()["tasks"] == 0
    assert not value.cache_contains(1)
    del caller
    value.cache_clear()
    gc.collect()  # a never-awaited coroutine would warn here
    assert value._flights.slots == {}
    assert all(message == "Task was destroyed but it is pending!" for message in destroyed)


async def test_task_started_eagerly_by_the_function_is_no_self_wait() -> None:
    """With the eager task factory (Python 3.12+; the default one below), a task that
    the function starts during its first step and does not wait for, calling the same
    key, is served the value, not refused as a self-wait."""
    loop = asyncio.get_running_loop()
    factory = getattr(asyncio, "eager_task_factory", None)
    loop.set_task_factory(factory)
    background: list[asyncio.Task[int]] = []

    @alru_cache
    async def f(x: int) -> int:
        background.append(asyncio.create_task(f(x)))
        await asyncio.sleep(0)
        return x

    try:
        with anyio.fail_after(TIMEOUT):
            assert await f(1) == 1
            assert await background[0] == 1
    finally:
        loop.set_task_factory(None)
    assert f.cache_parameters()["tasks"] == 0
