"""Regression tests of the runner-owned flights, on both backends: a close
from inside the function under a shield, tasks the function starts and does not wait
for, a refused close, errors raised while a computation unwinds, bound methods, and
the TTL store's deadline heap.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
import random
import weakref

import anyio
import anyio.to_thread
import pytest
from anyio.abc import TaskGroup

from async_lru import CacheClosedError, alru_cache
from async_lru._store import Store

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class Value:
    """A weak-referenceable result."""


class CleanupFailed(Exception):
    """What the function's finally raises in these tests."""


# --- cache_close() from inside the function, under a shield ---------------------------


async def test_close_inside_the_function_under_a_shield_raises_cache_closed_error() -> None:
    """cache_close() called by the function inside a shielded scope returns instead of
    waiting for the computation that calls it, and the caller gets CacheClosedError."""
    events: list[str] = []

    @alru_cache
    async def closing(x: int) -> int:
        # The shield's own deadline bounds the hang of a close that waits for itself.
        with anyio.fail_after(TIMEOUT / 2, shield=True):
            await closing.cache_close()
            events.append("closed")
        return x

    with anyio.fail_after(TIMEOUT), pytest.raises(CacheClosedError):
        await closing(1)
    assert events == ["closed"]
    assert closing.cache_parameters()["closed"]
    assert closing.cache_parameters()["tasks"] == 0


async def test_close_in_the_shielded_cleanup_after_the_last_caller_left_returns() -> None:
    """cache_close() called in a shielded finally of the function, which its last
    caller's timeout cancelled, returns: the cleanup completes and the caller's
    move_on_after catches its timeout."""
    started = anyio.Event()
    events: list[str] = []
    caught: list[bool] = []
    scopes: list[anyio.CancelScope] = []

    @alru_cache
    async def cleanup_closes(x: int) -> int:
        try:
            started.set()
            await anyio.sleep_forever()
        finally:
            # The shield's own deadline bounds the hang of a close that waits for itself.
            with anyio.fail_after(TIMEOUT / 2, shield=True):
                await cleanup_closes.cache_close()
            events.append("closed")
        return x

    async def caller() -> None:
        with anyio.move_on_after(TIMEOUT) as scope:
            scopes.append(scope)
            await cleanup_closes(1)
        caught.append(scope.cancelled_caught)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(caller)
            await started.wait()
            scopes[0].deadline = anyio.current_time()  # the caller's timeout expires
    assert events == ["closed"]
    assert caught == [True]
    assert cleanup_closes.cache_parameters()["closed"]
    assert cleanup_closes.cache_parameters()["tasks"] == 0


# --- no false self-waits --------------------------------------------------------------


async def test_task_the_function_starts_in_an_outside_task_group_gets_its_value() -> None:
    """A task that the function starts in a task group from outside, and does not wait
    for, joins the function's computation of the same key and gets its value."""
    joined = anyio.Event()
    got: list[str] = []
    outside: list[TaskGroup] = []

    @alru_cache
    async def get_config() -> str:
        outside[0].start_soon(audit)
        await joined.wait()
        return "cfg"

    async def audit() -> None:
        joined.set()  # the call below joins before get_config() resumes
        got.append(await get_config())

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            outside.append(tg)
            assert await get_config() == "cfg"
    assert got == ["cfg"]
    assert get_config.cache_info()[:2] == (1, 1)
    assert get_config.cache_parameters()["tasks"] == 0


async def test_call_that_an_unawaited_task_of_the_function_waits_for_is_no_self_wait() -> None:
    """f(1) starts a task calling g(1), which awaits f(1), and does not wait for it:
    f(1) returns and g(1) gets f's value instead of RuntimeError."""
    g_waits = anyio.Event()
    got: list[str] = []
    outside: list[TaskGroup] = []

    @alru_cache
    async def f(x: int) -> str:
        outside[0].start_soon(spawned, x)
        await g_waits.wait()
        return "f"

    @alru_cache
    async def g(x: int) -> str:
        g_waits.set()  # the call below joins f(x) before f resumes
        return "g+" + await f(x)

    async def spawned(x: int) -> None:
        got.append(await g(x))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            outside.append(tg)
            assert await f(1) == "f"
    assert got == ["g+f"]
    assert f.cache_info()[:2] == (1, 1)
    assert g.cache_info()[:2] == (0, 1)
    assert f.cache_parameters()["tasks"] == g.cache_parameters()["tasks"] == 0


# --- a refused close ------------------------------------------------------------------


async def test_close_with_wait_refused_for_waiting_for_itself_leaves_the_cache_open() -> None:
    """cache_close(wait=True) that raises RuntimeError because it would wait for itself
    closes nothing: the cache stays open and its hits and misses still work."""

    @alru_cache
    async def closing(x: int) -> int:
        if x == 1:
            await closing.cache_close(wait=True)
        return x

    with anyio.fail_after(TIMEOUT):
        assert await closing(2) == 2
        with pytest.raises(RuntimeError, match="would wait for itself"):
            await closing(1)
        assert not closing.cache_parameters()["closed"]
        assert await closing(2) == 2
        assert await closing(3) == 3
    assert closing.cache_info()[:2] == (1, 3)


# --- errors raised while a computation unwinds ----------------------------------------


async def test_error_raised_while_unwinding_propagates_out_of_the_callers_move_on_after() -> None:
    """An error that the function raises in its finally, once its last caller's
    move_on_after has cancelled it, propagates out of that move_on_after block, as it
    would without the cache; nothing is stored."""
    started = anyio.Event()
    runs: list[int] = []
    scopes: list[anyio.CancelScope] = []
    outcomes: list[str] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            try:
                started.set()
                await anyio.sleep_forever()
            finally:
                raise CleanupFailed  # the failing cleanup under test
        return x

    async def caller() -> None:
        try:
            with anyio.move_on_after(TIMEOUT) as scope:
                scopes.append(scope)
                await fetch(1)
        except CleanupFailed:
            outcomes.append("CleanupFailed out of move_on_after")
        else:
            outcomes.append("move_on_after exited")

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(caller)
            await started.wait()
            scopes[0].deadline = anyio.current_time()  # the caller's timeout expires
        assert outcomes == ["CleanupFailed out of move_on_after"]
        assert fetch.cache_info().currsize == 0
        assert fetch.cache_parameters()["tasks"] == 0
        assert await fetch(1) == 1
    assert runs == [1, 1]


# --- bound methods --------------------------------------------------------------------


class Service:
    """A class with a cached method."""

    def __init__(self) -> None:
        self.runs: list[int] = []

    @alru_cache
    async def get(self, x: int) -> int:
        """Return x, counting runs."""
        self.runs.append(x)
        return x


async def test_copied_bound_method_is_bound_to_the_same_instance_and_cache() -> None:
    """copy.copy() of a bound cached method is bound to the same instance and shares
    the method's cache: its calls hit and miss the same entries."""

    class Service:
        def __init__(self) -> None:
            self.runs: list[int] = []

        @alru_cache
        async def get(self, x: int) -> int:
            self.runs.append(x)
            return x

    service = Service()
    method = copy.copy(service.get)
    assert method.__self__ is service
    with anyio.fail_after(TIMEOUT):
        assert await method(1) == 1
        assert await service.get(1) == 1
        assert await method(1) == 1
        assert await service.get(2) == 2
        assert await method(2) == 2
    assert service.runs == [1, 2]
    assert method.cache_info()[:2] == (3, 2)
    assert method.cache_contains(2)


def test_bound_method_of_a_module_level_instance_pickles() -> None:
    """A bound cached method of a module-level class's instance survives pickle, at
    every protocol."""
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        method = pickle.loads(pickle.dumps(Service().get, protocol=protocol))
        assert isinstance(method.__self__, Service)
        assert method.__wrapped__ is Service.get.__wrapped__


def test_bound_method_class_module_and_doc_are_strings() -> None:
    """The class of a bound cached method has a str __module__, naming the library's
    module, and a str __doc__."""
    bound_class = type(Service().get)
    assert isinstance(bound_class.__module__, str)
    assert bound_class.__module__.startswith("async_lru")
    assert isinstance(bound_class.__doc__, str)


def test_bound_method_module_and_doc_are_the_functions() -> None:
    """A bound cached method's __module__ and __doc__ are those of the function."""
    method = Service().get
    assert method.__module__ == __name__
    assert method.__doc__ == "Return x, counting runs."


# --- the TTL store's deadline heap ----------------------------------------------------


def check_heap(store: Store) -> None:
    """Assert that the deadline heap holds exactly the stored entries, each parent no
    later than its children, and each entry's index its position."""
    heap = store._deadlines
    for index, timed in enumerate(heap):
        assert timed.index == index
        if index:
            assert heap[(index - 1) // 2] <= timed
    assert sorted(map(id, heap)) == sorted(map(id, store.entries.values()))


@pytest.mark.parametrize("how", ["invalidated", "evicted", "replaced", "cleared"])
async def test_removed_ttl_entry_releases_its_value_at_once(how: str) -> None:
    """A TTL entry invalidated, evicted by maxsize, replaced by another run's result or
    cleared, long before its deadline, no longer keeps its value alive."""
    now = [0.0]
    refs: list[weakref.ref[Value]] = []
    release = anyio.Event()
    hold: list[int] = []

    @alru_cache(maxsize=1, ttl=3600, timer=lambda: now[0])
    async def make(key: int) -> Value:
        value = Value()
        refs.append(weakref.ref(value))
        if key in hold:
            hold.remove(key)
            await release.wait()
        return value

    with anyio.fail_after(TIMEOUT):
        if how == "replaced":
            # This run's computation of 1 stores after another run's has stored.
            hold.append(1)
            async with anyio.create_task_group() as tg:
                tg.start_soon(make, 1)
                await anyio.wait_all_tasks_blocked()
                await anyio.to_thread.run_sync(asyncio.run, make(1))
                assert make.cache_info().currsize == 2  # the stored one and the flight
                release.set()
        else:
            await make(1)
            if how == "invalidated":
                assert make.cache_invalidate(1)
            elif how == "evicted":
                await make(2)
            else:
                make.cache_clear()
    removed = refs[1] if how == "replaced" else refs[0]  # the other run's, or the only one
    gc.collect()
    assert removed() is None
    check_heap(make._store)


async def test_deadline_heap_holds_only_live_entries_after_10000_invalidations() -> None:
    """After 10,000 entries were stored and invalidated beside 5 that stay, the TTL
    store's deadline heap holds exactly the 5 live entries."""
    now = [0.0]

    @alru_cache(maxsize=None, ttl=3600, timer=lambda: now[0])
    async def make(key: int) -> int:
        return key

    with anyio.fail_after(TIMEOUT):
        for key in range(5):
            await make(key)
        for key in range(5, 10_005):
            now[0] += 0.001
            await make(key)
            assert make.cache_invalidate(key)
    assert len(make._store.entries) == 5
    assert len(make._store._deadlines) == len(make._store.entries)
    check_heap(make._store)


async def test_deadline_heap_invariant_holds_through_a_random_mix_of_operations() -> None:
    """Through a seeded random mix of stores, hits, invalidations, maxsize evictions,
    expiries and reclaiming, the deadline heap stays a heap of exactly the stored
    entries, each knowing its position."""
    now = [0.0]
    rng = random.Random(20240610)

    @alru_cache(maxsize=16, ttl=1.0, jitter=0.5, timer=lambda: now[0])
    async def make(key: int) -> int:
        return key

    with anyio.fail_after(TIMEOUT):
        for _ in range(5000):
            roll = rng.random()
            key = rng.randrange(40)
            if roll < 0.6:
                assert await make(key) == key
            elif roll < 0.8:
                make.cache_invalidate(key)
            elif roll < 0.95:
                now[0] += rng.uniform(0, 0.3)
            else:
                make.cache_info()  # reclaims every expired entry
            check_heap(make._store)
    info = make.cache_info()
    assert info.misses > 16  # evictions and expiries happened
    check_heap(make._store)


async def test_task_of_the_function_left_last_on_its_flight_does_not_wait_for_itself() -> None:
    """A task that the function starts and waits for, calling the same key, is left
    the last caller once the first gives up; when it is cancelled it does not wait
    for the computation to unwind (which waits for that task): close returns and
    nothing stays in flight."""

    @alru_cache
    async def f(x: int) -> int:
        async with anyio.create_task_group() as tg:
            tg.start_soon(f, x)  # waits for the computation that waits for it
        return x

    with anyio.move_on_after(0.05):
        await f(1)
    assert f.cache_parameters()["tasks"] == 1
    with anyio.fail_after(TIMEOUT):
        await f.cache_close()
    assert f.cache_parameters()["tasks"] == 0


async def test_close_with_wait_from_a_task_the_function_started_returns() -> None:
    """cache_close(wait=True) called in a task that the function started and waits for
    does not wait for that computation (which waits for the task): it returns, and the
    function returns its value."""

    @alru_cache
    async def f(x: int) -> int:
        async def close_from_a_task() -> None:
            await f.cache_close(wait=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(close_from_a_task)
        return x

    with anyio.fail_after(TIMEOUT):
        assert await f(1) == 1
    assert f.cache_parameters()["closed"]
    assert f.cache_parameters()["tasks"] == 0
