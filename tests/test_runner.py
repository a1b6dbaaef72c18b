"""The computation runs in a runner of its own, on both backends.

Callers who give up before a slow function ends leave it to the others; the last
caller's cancellation cancels it; cancellations reach callers as they would without
the cache; self-waits raise instead of hanging; shields, context variables,
tracebacks, unasked-for cancellations, KeyboardInterrupt, deep recursion, close and
invalidate behave as the behaviour guide says.
"""

from __future__ import annotations

import asyncio
import selectors
import traceback
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import anyio
import anyio.lowlevel
import pytest
import trio.testing

from async_lru import CacheClosedError, alru_cache

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class Boom(Exception):
    """The error a cached function raises in these tests."""


# --- the timeout scenario, on virtual time --------------------------------------------


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time, like trio's autojumping MockClock: whenever it
    would block until its next timer, its clock jumps to that timer instead."""

    def __init__(self) -> None:
        self.now = 0.0
        loop = self

        class JumpingSelector(selectors.DefaultSelector):
            def select(
                self, timeout: float | None = None
            ) -> list[tuple[selectors.SelectorKey, int]]:
                events = super().select(0 if timeout else timeout)
                if not events and timeout:
                    loop.now += timeout
                return events

        super().__init__(JumpingSelector())

    def time(self) -> float:
        return self.now


VIRTUAL_TIME = [
    pytest.param(("asyncio", {"loop_factory": _VirtualTimeLoop}), id="asyncio"),
    pytest.param(("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio"),
]


@pytest.mark.parametrize("anyio_backend", VIRTUAL_TIME)
async def test_callers_giving_up_before_a_slow_function_ends_leave_it_to_the_next() -> None:
    """8 callers arriving every 100 ms, each waiting at most 150 ms, on a 200 ms
    function: the function runs once, and every caller whose deadline comes after the
    computation's end is served (all but the first)."""
    runs: list[int] = []
    ended: list[float] = []
    served: list[int] = []
    gave_up: list[int] = []
    deadlines: dict[int, float] = {}

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        await anyio.sleep(0.2)
        ended.append(anyio.current_time())
        return x

    async def caller(index: int) -> None:
        await anyio.sleep(index * 0.1)
        deadlines[index] = anyio.current_time() + 0.15
        with anyio.move_on_after(0.15) as scope:
            await slow(1)
            served.append(index)
        if scope.cancelled_caught:
            gave_up.append(index)

    begin = anyio.current_time()
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for index in range(8):
                tg.start_soon(caller, index)
    assert anyio.current_time() - begin == pytest.approx(0.7)  # the clock was virtual
    assert runs == [1]
    assert ended == [pytest.approx(begin + 0.2)]
    assert sorted(served) == [index for index in range(8) if deadlines[index] > ended[0]]
    assert sorted(served) == [1, 2, 3, 4, 5, 6, 7]
    assert gave_up == [0]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (7, 1, 1)
    assert slow.cache_parameters()["tasks"] == 0


# --- the last caller's cancellation ---------------------------------------------------


async def test_last_callers_cancellation_cancels_the_function_before_it_surfaces() -> None:
    """When the last waiting caller is cancelled, the function sees the cancellation
    and its finally has run before the caller's cancellation surfaces; nothing is
    stored and the next call runs the function again."""
    events: list[str] = []
    runs: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            try:
                await anyio.sleep_forever()
            except anyio.get_cancelled_exc_class():
                events.append("function cancelled")
                raise
            finally:
                events.append("function finally")
        return x

    scopes = [anyio.CancelScope(), anyio.CancelScope()]

    async def call(index: int) -> None:
        with scopes[index]:
            await slow(1)
        events.append(f"caller {index} cancelled")

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, 0)
            tg.start_soon(call, 1)
            await anyio.wait_all_tasks_blocked()
            scopes[0].cancel()
            await anyio.wait_all_tasks_blocked()
            assert events == ["caller 0 cancelled"]
            assert slow.cache_contains(1)
            scopes[1].cancel()
        assert events == [
            "caller 0 cancelled",
            "function cancelled",
            "function finally",
            "caller 1 cancelled",
        ]
        assert all(scope.cancelled_caught for scope in scopes)
        assert not slow.cache_contains(1)
        assert slow.cache_parameters()["tasks"] == 0
        assert slow.cache_info().currsize == 0
        assert await slow(1) == 1
    assert runs == [1, 1]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 2, 1)


# --- a caller's cancellation is its own -----------------------------------------------


async def _give_up_with_fail_after(call: Callable[[], Awaitable[object]]) -> list[str]:
    """Call *call* under fail_after(0.01); return what the caller saw."""
    seen: list[str] = []
    try:
        with anyio.fail_after(0.01):
            await call()
            seen.append("returned")
    except TimeoutError as exc:
        seen.append(f"{type(exc).__name__} {exc.args}")
    return seen


async def _give_up_with_move_on_after(call: Callable[[], Awaitable[object]]) -> list[str]:
    """Call *call* under move_on_after(0.01); return what the caller saw."""
    seen: list[str] = []
    with anyio.move_on_after(0.01) as scope:
        await call()
        seen.append("returned")
    seen.append(f"cancelled_caught={scope.cancelled_caught}")
    return seen


@pytest.mark.parametrize(
    "give_up", [_give_up_with_fail_after, _give_up_with_move_on_after], ids=["fail", "move"]
)
async def test_callers_timeout_is_prompt_and_what_it_is_without_the_cache(
    give_up: Callable[[Callable[[], Awaitable[object]]], Awaitable[list[str]]],
) -> None:
    """A caller's fail_after or move_on_after reaches it promptly, while the function
    runs on for another caller, and exactly as it does with the uncached function:
    TimeoutError from fail_after, cancelled_caught from move_on_after."""
    release = anyio.Event()
    results: list[int] = []

    @alru_cache
    async def slow(x: int) -> int:
        await release.wait()
        return x

    async def patient() -> None:
        results.append(await slow(1))

    cached: list[str] = []
    with anyio.fail_after(TIMEOUT):
        uncached = await give_up(lambda: slow.__wrapped__(1))
        async with anyio.create_task_group() as tg:
            tg.start_soon(patient)
            await anyio.wait_all_tasks_blocked()
            cached = await give_up(lambda: slow(1))
            assert not release.is_set()  # the function still runs for the patient caller
            assert slow.cache_parameters()["tasks"] == 1
            release.set()
    assert cached == uncached
    assert cached[0] != "returned"
    assert results == [1]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 1, 1)


# --- self-waits -----------------------------------------------------------------------


@pytest.mark.parametrize("suspend", [False, True], ids=["at-once", "after-suspending"])
async def test_function_calling_itself_with_the_same_key_raises_runtime_error(
    suspend: bool,
) -> None:
    """A function that calls itself with its own arguments, at once or after it
    suspended, gets RuntimeError saying it would wait for itself, instead of hanging;
    its caller gets that error."""

    @alru_cache
    async def selfish(x: int) -> int:
        if suspend:
            await anyio.lowlevel.checkpoint()
        return await selfish(x)

    with anyio.fail_after(TIMEOUT), pytest.raises(RuntimeError, match="would wait for itself"):
        await selfish(1)
    assert not selfish.cache_contains(1)
    assert selfish.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("suspend", [False, True], ids=["at-once", "after-suspending"])
async def test_two_cached_functions_waiting_on_each_other_raise_runtime_error(
    suspend: bool,
) -> None:
    """f(1) calling g(1) calling f(1), at once or after suspending, raises RuntimeError
    saying that a function would wait for itself, instead of hanging; nothing is
    stored, and both computations end."""

    @alru_cache
    async def f(x: int) -> int:
        if suspend:
            await anyio.lowlevel.checkpoint()
        return await g(x)

    @alru_cache
    async def g(x: int) -> int:
        if suspend:
            await anyio.lowlevel.checkpoint()
        return await f(x)

    with anyio.fail_after(TIMEOUT):
        with pytest.raises(RuntimeError, match="would wait for itself"):
            await f(1)
        await anyio.wait_all_tasks_blocked()  # the other computation of the cycle ends
    for cached in (f, g):
        assert not cached.cache_contains(1)
        assert cached.cache_parameters()["tasks"] == 0


async def test_computations_waiting_on_a_shared_one_are_no_self_wait() -> None:
    """Two computations that both wait for a third, joined by a plain caller too, are
    no cycle: every call gets its value."""
    release = anyio.Event()
    results: list[int] = []

    @alru_cache
    async def shared(x: int) -> int:
        await release.wait()
        return x

    @alru_cache
    async def outer(x: int) -> int:
        return x + await shared(0)

    async def call(fn: Callable[[int], Awaitable[int]], x: int) -> None:
        results.append(await fn(x))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, outer, 1)
            tg.start_soon(call, outer, 2)
            tg.start_soon(call, shared, 0)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert sorted(results) == [0, 1, 2]
    assert shared.cache_info().misses == 1


# --- shields --------------------------------------------------------------------------


async def test_shield_in_the_function_holds_against_close() -> None:
    """A shielded part of the function completes although cache_close() stops the
    computation meanwhile; the cancellation lands after the shield, close returns once
    the function unwound, and the caller gets CacheClosedError."""
    entered = anyio.Event()
    release = anyio.Event()
    events: list[str] = []

    @alru_cache
    async def slow(x: int) -> int:
        with anyio.CancelScope(shield=True):
            entered.set()
            await release.wait()
            events.append("shielded part completed")
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            events.append("cancelled after the shield")
            raise
        return x

    async def call() -> None:
        with pytest.raises(CacheClosedError):
            await slow(1)
        events.append("caller got CacheClosedError")

    async def close() -> None:
        await slow.cache_close()
        events.append("close returned")

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await entered.wait()
            tg.start_soon(close)
            await anyio.wait_all_tasks_blocked()
            assert events == []
            release.set()
    assert events[:2] == ["shielded part completed", "cancelled after the shield"]
    assert sorted(events[2:]) == ["caller got CacheClosedError", "close returned"]
    assert slow.cache_parameters()["tasks"] == 0


async def test_shield_in_the_function_holds_against_the_last_callers_cancellation() -> None:
    """A shielded part of the function completes although its last caller is cancelled
    meanwhile; the caller's cancellation surfaces only after the function unwound."""
    entered = anyio.Event()
    release = anyio.Event()
    events: list[str] = []
    scope = anyio.CancelScope()

    @alru_cache
    async def slow(x: int) -> int:
        with anyio.CancelScope(shield=True):
            entered.set()
            await release.wait()
            events.append("shielded part completed")
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            events.append("cancelled after the shield")
            raise
        return x

    async def call() -> None:
        with scope:
            await slow(1)
        events.append("caller cancelled")

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await entered.wait()
            scope.cancel()
            await anyio.wait_all_tasks_blocked()
            assert events == []
            release.set()
    assert events == ["shielded part completed", "cancelled after the shield", "caller cancelled"]
    assert scope.cancelled_caught
    assert not slow.cache_contains(1)
    assert slow.cache_parameters()["tasks"] == 0


# --- context and task -----------------------------------------------------------------

_request: ContextVar[str] = ContextVar("_request", default="unset")


async def test_function_runs_in_a_copy_of_the_first_callers_context() -> None:
    """The function sees the context variables of its first caller, and what it sets
    does not leak into any caller."""
    release = anyio.Event()
    seen: list[str] = []
    after: dict[str, str] = {}

    @alru_cache
    async def handler(x: int) -> int:
        seen.append(_request.get())
        _request.set("set by the function")
        await release.wait()
        return x

    async def call(name: str) -> None:
        _request.set(name)
        await handler(1)
        after[name] = _request.get()

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "first")
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(call, "second")
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert await handler(1) == 1
    assert seen == ["first"]
    assert after == {"first": "first", "second": "second"}
    assert _request.get() == "unset"


async def test_function_runs_in_a_task_other_than_its_callers() -> None:
    """The function runs in a task of its own, not in its first caller's."""
    tasks: list[int] = []

    @alru_cache
    async def which_task(x: int) -> int:
        tasks.append(anyio.get_current_task().id)
        return x

    await which_task(1)
    assert len(tasks) == 1
    assert tasks[0] != anyio.get_current_task().id


# --- exceptions -----------------------------------------------------------------------


def _explode(x: int) -> None:
    raise Boom(x)


def _frames(error: BaseException) -> list[str]:
    """Return the names of the functions in *error*'s traceback, outermost first."""
    return [entry.name for entry in traceback.extract_tb(error.__traceback__)]


async def test_every_caller_gets_the_functions_frames_and_no_other_callers() -> None:
    """Every caller of a failed computation gets its exception, with the function's own
    frames at the end of its traceback and none of the other callers' frames."""
    release = anyio.Event()
    tracebacks: dict[str, list[str]] = {}

    @alru_cache
    async def failing(x: int) -> int:
        await release.wait()
        _explode(x)
        return x

    async def caller_a() -> None:
        try:
            await failing(1)
        except Boom as exc:
            tracebacks["caller_a"] = _frames(exc)

    async def caller_b() -> None:
        try:
            await failing(1)
        except Boom as exc:
            tracebacks["caller_b"] = _frames(exc)

    async def caller_c() -> None:
        try:
            await failing(1)
        except Boom as exc:
            tracebacks["caller_c"] = _frames(exc)

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for caller in (caller_a, caller_b, caller_c):
                tg.start_soon(caller)
                await anyio.wait_all_tasks_blocked()
            release.set()
    assert sorted(tracebacks) == ["caller_a", "caller_b", "caller_c"]
    for name, names in tracebacks.items():
        assert names[-2:] == ["failing", "_explode"]
        assert names.count(name) == 1
        others = {"caller_a", "caller_b", "caller_c"} - {name}
        assert not others.intersection(names)


async def test_cancellation_nobody_asked_for_reaches_callers_as_runtime_error() -> None:
    """A cancellation exception that the function raises although neither its callers
    nor the cache cancelled it (here one caught inside an inner cancel scope, re-raised
    outside it) reaches every caller as RuntimeError caused by it; the callers are not
    cancelled, nothing is stored, and the next call runs again."""
    release = anyio.Event()
    runs: list[int] = []
    raised: list[BaseException] = []
    errors: list[RuntimeError] = []

    @alru_cache
    async def misbehaving(x: int) -> int:
        runs.append(x)
        await release.wait()
        if len(runs) > 1:
            return x
        caught: BaseException | None = None
        with anyio.CancelScope() as inner:
            inner.cancel()
            try:
                await anyio.lowlevel.checkpoint()
            except anyio.get_cancelled_exc_class() as exc:
                caught = exc
        assert caught is not None
        raised.append(caught)
        raise caught

    async def call() -> None:
        try:
            await misbehaving(1)
        except RuntimeError as exc:
            errors.append(exc)
        await anyio.lowlevel.checkpoint()  # the caller is not cancelled

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
        assert not tg.cancel_scope.cancel_called
        assert len(errors) == 3
        assert all(exc is errors[0] for exc in errors)
        assert "although neither its callers nor the cache cancelled it" in str(errors[0])
        assert errors[0].__cause__ is raised[0]
        assert isinstance(raised[0], anyio.get_cancelled_exc_class())
        assert not misbehaving.cache_contains(1)
        assert await misbehaving(1) == 1
    assert runs == [1, 1]
    assert misbehaving.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_keyboard_interrupt_from_the_function_reaches_its_caller(backend: str) -> None:
    """KeyboardInterrupt raised by the function reaches its caller, which lets it end
    the run as it would without the cache; nothing is stored."""
    raised: list[KeyboardInterrupt] = []
    reached: list[KeyboardInterrupt] = []

    @alru_cache
    async def interrupted(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        error = KeyboardInterrupt()
        raised.append(error)
        raise error

    async def main() -> None:
        with anyio.fail_after(TIMEOUT):
            try:
                await interrupted(1)
            except KeyboardInterrupt as exc:
                reached.append(exc)
                raise

    with pytest.raises(KeyboardInterrupt) as info:
        anyio.run(main, backend=backend)
    assert info.value is raised[0]
    assert reached == raised
    assert not interrupted.cache_contains(1)
    assert interrupted.cache_parameters()["tasks"] == 0


# --- close from inside ----------------------------------------------------------------


async def test_close_with_wait_inside_the_function_raises_runtime_error() -> None:
    """cache_close(wait=True) called by the function it would wait for raises
    RuntimeError saying so, instead of hanging; the caller gets that error."""

    @alru_cache
    async def closing(x: int) -> int:
        await closing.cache_close(wait=True)
        return x

    with anyio.fail_after(TIMEOUT), pytest.raises(RuntimeError, match="would wait for itself"):
        await closing(1)
    assert closing.cache_parameters()["tasks"] == 0


@pytest.mark.parametrize("suspend", [False, True], ids=["at-once", "after-suspending"])
async def test_close_with_wait_of_a_cache_waiting_on_the_function_raises(
    suspend: bool,
) -> None:
    """cache_close(wait=True) of another cache, whose computation waits for the
    function calling it (at once or after suspending), raises RuntimeError instead of
    hanging."""

    @alru_cache
    async def inner(x: int) -> int:
        if suspend:
            await anyio.lowlevel.checkpoint()
        await outer.cache_close(wait=True)
        return x

    @alru_cache
    async def outer(x: int) -> int:
        return await inner(x)

    with anyio.fail_after(TIMEOUT), pytest.raises(RuntimeError, match="would wait for itself"):
        await outer(1)
    assert inner.cache_parameters()["tasks"] == 0
    assert outer.cache_parameters()["tasks"] == 0


# --- invalidate during a flight -------------------------------------------------------


async def test_invalidated_computation_delivers_and_counts_as_a_task_until_it_ends() -> None:
    """After cache_invalidate during a flight, the callers already waiting get its
    result, which is not stored; a later call starts a new computation; tasks counts
    both until each ends, currsize only the one under the key."""
    gates = [anyio.Event(), anyio.Event()]
    runs: list[int] = []
    results: dict[str, list[int]] = {"old": [], "new": []}

    @alru_cache
    async def slow(x: int) -> int:
        n = len(runs)
        runs.append(x)
        await gates[n].wait()
        return n

    async def call(name: str) -> None:
        results[name].append(await slow(1))

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "old")
            tg.start_soon(call, "old")
            await anyio.wait_all_tasks_blocked()
            assert slow.cache_invalidate(1)
            assert not slow.cache_contains(1)
            assert slow.cache_parameters()["tasks"] == 1
            assert slow.cache_info().currsize == 0
            tg.start_soon(call, "new")
            await anyio.wait_all_tasks_blocked()
            assert runs == [1, 1]
            assert slow.cache_parameters()["tasks"] == 2
            assert slow.cache_info().currsize == 1
            gates[0].set()
            await anyio.wait_all_tasks_blocked()
            assert results == {"old": [0, 0], "new": []}
            assert slow.cache_parameters()["tasks"] == 1
            assert slow.cache_contains(1)  # the new computation, still in flight
            gates[1].set()
        assert results == {"old": [0, 0], "new": [1]}
        assert await slow(1) == 1
    assert slow.cache_parameters()["tasks"] == 0
    info = slow.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 2, 1)
