"""One cache across changes of run and backend: asyncio.run(), then a trio run, then
anyio.run(). Plain synchronous tests: each starts its own runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import anyio
import pytest

from async_lru import CacheClosedError, alru_cache

TIMEOUT = 10


def on_trio(fn: Callable[[], Awaitable[object]]) -> object:
    """Run *fn* in a fresh trio run, bounded by TIMEOUT."""

    async def bounded() -> object:
        with anyio.fail_after(TIMEOUT):
            return await fn()

    return anyio.run(bounded, backend="trio")


def test_asyncio_then_trio_then_anyio_runs_keep_entries_and_counters() -> None:
    """asyncio.run(), a trio run and anyio.run() in turn see one cache: each run's hits
    are the previous runs' results, and cache_info() counts every call exactly."""
    runs: list[int] = []

    @alru_cache(maxsize=4)
    async def square(x: int) -> int:
        runs.append(x)
        await anyio.lowlevel.checkpoint()
        return x * x

    async def calls(*keys: int) -> list[int]:
        return [await square(x) for x in keys]

    assert asyncio.run(calls(1, 2, 1)) == [1, 4, 1]
    assert square.cache_info() == (1, 2, 4, 2)
    assert on_trio(lambda: calls(2, 3, 1)) == [4, 9, 1]
    assert square.cache_info() == (3, 3, 4, 3)
    assert anyio.run(calls, 3, 4, 4) == [9, 16, 16]
    assert square.cache_info() == (5, 4, 4, 4)
    assert runs == [1, 2, 3, 4]


def test_lru_order_carries_over_from_one_run_to_the_next() -> None:
    """A hit in a trio run makes its entry the most recent one, so the eviction made by
    a later asyncio run removes another entry."""

    @alru_cache(maxsize=2)
    async def echo(x: int) -> int:
        return x

    async def calls(*keys: int) -> list[int]:
        return [await echo(x) for x in keys]

    asyncio.run(calls(1, 2))
    on_trio(lambda: calls(1))  # 1 becomes the most recent entry
    asyncio.run(calls(3))  # evicts 2, the least recent
    assert echo.cache_contains(1)
    assert not echo.cache_contains(2)
    assert echo.cache_contains(3)
    assert echo.cache_info() == (1, 3, 2, 2)


def test_ttl_deadline_set_in_one_run_holds_in_the_next() -> None:
    """A deadline set when an asyncio run stored the result is neither reset nor
    extended by later trio and asyncio runs: the one timer decides."""
    now = [0.0]
    runs: list[int] = []

    @alru_cache(ttl=10, timer=lambda: now[0])
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    asyncio.run(echo(1))
    now[0] = 9.0
    on_trio(lambda: echo(1))
    assert runs == [1]
    now[0] = 10.5
    assert not echo.cache_contains(1)
    asyncio.run(echo(1))
    assert runs == [1, 1]
    assert echo.cache_info() == (1, 2, 128, 1)


def test_closed_cache_stays_closed_in_later_runs() -> None:
    """A cache closed in an asyncio run refuses calls in later trio and asyncio runs,
    stored keys included, and closing it again there returns at once."""
    runs: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        runs.append(x)
        return x

    async def use_then_close() -> None:
        await echo(1)
        await echo.cache_close()

    asyncio.run(use_then_close())
    with pytest.raises(CacheClosedError):
        on_trio(lambda: echo(1))
    with pytest.raises(CacheClosedError):
        asyncio.run(echo(2))
    on_trio(echo.cache_close)
    anyio.run(echo.cache_close)
    assert runs == [1]
    assert echo.cache_parameters()["closed"] is True


def test_close_in_a_later_run_ignores_a_flight_of_a_stopped_loop() -> None:
    """cache_close() in a trio run returns at once although a stopped asyncio loop left
    a computation in flight: close never awaits another run's computation."""

    @alru_cache
    async def value(x: int) -> int:
        await anyio.sleep_forever()
        return x

    async def start_leader() -> asyncio.Task[int]:
        task = asyncio.ensure_future(value(1))
        await anyio.wait_all_tasks_blocked()  # the function is running
        return task

    loop = asyncio.new_event_loop()
    task = loop.run_until_complete(start_leader())  # the loop stops, the leader waits
    try:
        assert value.cache_parameters()["tasks"] == 1
        on_trio(value.cache_close)
        with pytest.raises(CacheClosedError):
            on_trio(lambda: value(1))
        assert value.cache_parameters()["closed"] is True
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            loop.run_until_complete(task)
        loop.close()
    assert value.cache_parameters()["tasks"] == 0
