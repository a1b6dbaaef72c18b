"""Nothing a finished call used stays reachable: flights, events, exceptions, values.

Weak references to values, exceptions and objects living in the wrapped function's
frames (kept alive by any leaked traceback) must be dead after ``gc.collect()``.
Flights and anyio Events are counted among all live objects.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import anyio
import anyio.lowlevel

from async_lru import alru_cache
from async_lru._flight import Flight


class Value:
    """A weak-referenceable result."""

    def __init__(self, key: int) -> None:
        self.key = key


class Marker:
    """A weak-referenceable object held only by the wrapped function's frame."""


class Failure(Exception):
    """The wrapped function's own failure."""


class FakeTimer:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def started(count: Callable[[], int], expected: int) -> None:
    """Wait until *expected* computations have started. (On asyncio before 3.12 a
    runner starts on the loop's next iteration, and anyio's wait_all_tasks_blocked
    sleeps 0.1 s when it finds a task that has not started yet.)"""
    with anyio.fail_after(10):
        while count() < expected:
            await anyio.lowlevel.checkpoint()
    await anyio.wait_all_tasks_blocked()


def live_objects(kind: type) -> int:
    """Count the objects of *kind* still reachable after a full collection."""
    gc.collect()
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


def alive(refs: list[weakref.ref[object]]) -> int:
    gc.collect()
    return sum(ref() is not None for ref in refs)


async def test_failing_calls_leave_no_exception_frame_or_flight() -> None:
    """Exceptions shared by every caller of a computation, and their frames, are all
    freed."""
    flights_before, events_before = live_objects(Flight), live_objects(anyio.Event)
    refs: list[weakref.ref[object]] = []

    @alru_cache(maxsize=4)
    async def fail(key: int) -> None:
        marker = Marker()
        refs.append(weakref.ref(marker))
        await anyio.lowlevel.checkpoint()
        raise Failure(key, marker)

    async def call(key: int) -> None:
        try:
            await fail(key)
        except Failure as exc:
            refs.append(weakref.ref(exc))

    for _ in range(50):
        async with anyio.create_task_group() as tg:
            for index in range(6):
                tg.start_soon(call, index % 3)
    assert len(refs) == 50 * (3 + 6)
    assert alive(refs) == 0
    assert fail._flights.slots == {}
    assert fail._store.entries == {}
    assert live_objects(Flight) == flights_before
    assert live_objects(anyio.Event) == events_before


async def test_cancelled_first_callers_leave_no_flight_event_or_frame() -> None:
    """First callers cancelled mid-call, whose computations run on for the callers
    still waiting, leave nothing behind."""
    flights_before, events_before = live_objects(Flight), live_objects(anyio.Event)
    refs: list[weakref.ref[object]] = []
    runs: list[int] = []

    @alru_cache(maxsize=0)
    async def slow(key: int, release: anyio.Event) -> Value:
        runs.append(key)
        marker = Marker()
        refs.append(weakref.ref(marker))
        await release.wait()
        value = Value(key)
        refs.append(weakref.ref(value))
        return value

    async def call(key: int, release: anyio.Event, scope: anyio.CancelScope) -> None:
        with scope:
            await slow(key, release)

    async def one_round() -> None:
        release = anyio.Event()  # part of the keys: dies with this round
        firsts = [anyio.CancelScope() for _ in range(3)]
        async with anyio.create_task_group() as tg:
            for key, scope in enumerate(firsts):
                tg.start_soon(call, key, release, scope)
            await started(lambda: len(runs), len(runs) + 3)
            for key in range(3):
                tg.start_soon(call, key, release, anyio.CancelScope())
            await anyio.wait_all_tasks_blocked()
            for scope in firsts:
                scope.cancel()
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert all(scope.cancelled_caught for scope in firsts)

    for _ in range(50):
        await one_round()
    assert sorted(runs) == sorted(list(range(3)) * 50)
    assert alive(refs) == 0
    assert slow._flights.slots == {}
    assert slow.cache_parameters()["tasks"] == 0
    assert live_objects(Flight) == flights_before
    assert live_objects(anyio.Event) == events_before


async def test_abandoned_computations_leave_no_flight_event_or_frame() -> None:
    """Computations cancelled because all their callers were cancelled leave nothing
    behind."""
    flights_before, events_before = live_objects(Flight), live_objects(anyio.Event)
    refs: list[weakref.ref[object]] = []
    finalised: list[int] = []

    @alru_cache(maxsize=4)
    async def slow(key: int) -> Value:
        marker = Marker()
        refs.append(weakref.ref(marker))
        try:
            await anyio.sleep_forever()
        finally:
            finalised.append(key)
        return Value(key)

    for _ in range(50):
        async with anyio.create_task_group() as tg:
            for index in range(6):
                tg.start_soon(slow, index % 3)
            await started(lambda: len(refs), len(refs) + 3)
            tg.cancel_scope.cancel()
    assert sorted(finalised) == sorted(list(range(3)) * 50)
    assert alive(refs) == 0
    assert slow._flights.slots == {}
    assert slow.cache_parameters()["tasks"] == 0
    assert slow.cache_info().currsize == 0
    assert live_objects(Flight) == flights_before
    assert live_objects(anyio.Event) == events_before


async def test_evicted_and_invalidated_values_are_freed() -> None:
    """Values evicted by maxsize, invalidated or cleared become unreachable."""
    refs: list[weakref.ref[object]] = []

    @alru_cache(maxsize=3)
    async def make(key: int) -> Value:
        value = Value(key)
        refs.append(weakref.ref(value))
        return value

    for key in range(100):
        await make(key)
        if key % 7 == 0:
            make.cache_invalidate(key)
    assert alive(refs) == 3
    make.cache_clear()
    assert alive(refs) == 0


async def test_expired_values_are_reclaimed_without_access() -> None:
    """With ttl and no maxsize, stores reclaim expired entries: memory follows live ones."""
    timer = FakeTimer()
    refs: list[weakref.ref[object]] = []

    @alru_cache(maxsize=None, ttl=1.0, timer=timer)
    async def make(key: int) -> Value:
        value = Value(key)
        refs.append(weakref.ref(value))
        return value

    for key in range(2000):
        await make(key)
        timer.now += 0.25  # four entries live at a time
        if key % 5 == 0:
            make.cache_invalidate(key)
        assert len(make._store.entries) <= 5
        assert len(make._store._deadlines) <= 8
    assert alive(refs) <= 8
    timer.now += 1.0
    assert make.cache_info().currsize == 0
    assert make._store.entries == {}
    assert alive(refs) == 0


async def test_expired_values_with_jitter_and_hits_are_reclaimed() -> None:
    """Jittered deadlines and hits that reorder entries still let stores reclaim them."""
    timer = FakeTimer()

    @alru_cache(maxsize=None, ttl=1.0, jitter=2.0, timer=timer)
    async def make(key: int) -> int:
        return key

    for key in range(3000):
        await make(key)
        await make(key - 3)
        timer.now += 0.25  # at most 13 entries live at a time
        assert len(make._store.entries) <= 16
        assert len(make._store._deadlines) <= 32
