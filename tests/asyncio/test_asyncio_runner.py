"""The computation runs in a runner task of its own, on asyncio: it is not
its callers' task, it outlives the callers that give up while others still wait, each
caller's cancellation stays exactly asyncio's, shields inside it hold against
cache_close(), each event loop run gets its own flight, a closed loop's flight is
forgotten, and eager task starts (3.12+) change nothing but the timing."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import selectors
import sys
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import anyio
import pytest

from async_lru import CacheClosedError, alru_cache

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10

# Where asyncio starts tasks eagerly, the runner of a function that returns without
# suspending ends inside the first call.
EAGER = sys.version_info >= (3, 12)

T = TypeVar("T")

# The ways a caller gives up waiting, of those this Python has.
if sys.version_info >= (3, 11):
    GIVE_UPS = ["wait_for", "timeout"]
else:
    GIVE_UPS = ["wait_for"]

# The task factories a loop can have on this Python.
TASK_FACTORIES: list[Any] = [None]
if sys.version_info >= (3, 12):
    TASK_FACTORIES.append(asyncio.eager_task_factory)


async def give_up_after(how: str, seconds: float, call: Awaitable[T]) -> T:
    """Await *call* for at most *seconds*, giving up the way *how* names."""
    if how == "wait_for":
        return await asyncio.wait_for(call, seconds)
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await call
    raise AssertionError(how)  # pragma: no cover


# --- the runner task --------------------------------------------------------------------


async def test_function_runs_in_a_task_that_is_none_of_its_callers() -> None:
    """asyncio.current_task() inside the function is a task of its own: neither the task
    of a caller that awaits it directly nor those of gathered callers."""
    seen: list[asyncio.Task[Any] | None] = []

    @alru_cache
    async def fetch(x: int) -> int:
        seen.append(asyncio.current_task())
        await asyncio.sleep(0)
        return x

    with anyio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
        callers = [asyncio.create_task(fetch(2)) for _ in range(3)]
        assert await asyncio.gather(*callers) == [2, 2, 2]
    assert len(seen) == 2
    assert None not in seen
    assert seen[0] is not asyncio.current_task()
    assert seen[1] not in callers
    assert seen[0] is not seen[1]


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer whenever no callback is ready,
    as trio's MockClock(autojump_threshold=0) does: timeouts and sleeps happen in
    order, exactly when due, and take no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.now


class _JumpingSelector(selectors.SelectSelector):
    """Polls instead of blocking, and moves its loop's clock by the time it would have
    blocked."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self.loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout is not None and timeout > 0:
            self.loop.now += timeout
        return ready


def on_virtual_time(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run *main()* in a fresh VirtualTimeLoop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
    finally:
        loop.close()


@pytest.mark.parametrize("how", GIVE_UPS)
def test_staggered_callers_with_timeouts_shorter_than_the_function_share_one_run(
    how: str,
) -> None:
    """Eight callers arriving every 100 ms, each giving up after 150 ms, on a 200 ms
    function: it runs once, the first caller times out, and the seven others, whose
    deadlines fall after the computation's end, are served (on a loop whose clock
    jumps, so that it takes no real time)."""
    runs: list[float] = []
    ends: list[float] = []

    @alru_cache
    async def slow(x: int) -> int:
        loop = asyncio.get_running_loop()
        runs.append(loop.time())
        await asyncio.sleep(0.2)
        ends.append(loop.time())
        return 10 * x

    async def caller(index: int) -> int | None:
        await asyncio.sleep(0.1 * index)
        try:
            return await give_up_after(how, 0.15, slow(1))
        except asyncio.TimeoutError:
            return None

    async def main() -> list[int | None]:
        return list(await asyncio.gather(*(caller(index) for index in range(8))))

    outcomes = on_virtual_time(main)
    assert runs == [0]
    assert ends == pytest.approx([0.2])
    assert outcomes == [None] + [10] * 7
    assert slow.cache_info() == (7, 1, 128, 1)
    assert slow.cache_parameters()["tasks"] == 0


# --- a caller's cancellation is asyncio's own --------------------------------------------


@pytest.mark.parametrize("alone", [False, True], ids=["others-wait", "last-caller"])
async def test_cancel_message_reaches_the_cancelled_caller(alone: bool) -> None:
    """Task.cancel("message") of a caller raises CancelledError with that message in the
    caller, whether other callers still wait or it was the last one."""
    release = asyncio.Event()
    messages: list[tuple[object, ...]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        await release.wait()
        return x

    async def caller() -> int:
        try:
            return await fetch(1)
        except asyncio.CancelledError as exc:
            messages.append(exc.args)
            raise

    with anyio.fail_after(TIMEOUT):
        others = [] if alone else [asyncio.create_task(fetch(1))]
        await anyio.wait_all_tasks_blocked()
        cancelled = asyncio.create_task(caller())
        await anyio.wait_all_tasks_blocked()
        cancelled.cancel("stop waiting")
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        release.set()
        assert await asyncio.gather(*others) == [1] * len(others)
    assert cancelled.cancelled()
    assert messages == [("stop waiting",)]
    assert fetch.cache_contains(1) is not alone


async def test_cancelled_future_awaited_by_the_function_fails_its_callers() -> None:
    """A CancelledError that the function raises although nobody cancelled it (a future it
    awaited was cancelled) reaches every caller as one RuntimeError caused by it, never
    as a cancellation of theirs; nothing is stored and the next call runs again."""
    futures: list[asyncio.Future[int]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        futures.append(future)
        return await future

    with anyio.fail_after(TIMEOUT):
        callers = [asyncio.create_task(fetch(1)) for _ in range(2)]
        await anyio.wait_all_tasks_blocked()
        futures[0].cancel()
        outcomes = await asyncio.gather(*callers, return_exceptions=True)
        assert not any(caller.cancelled() for caller in callers)
        error = outcomes[0]
        assert isinstance(error, RuntimeError)
        assert outcomes[1] is error
        assert isinstance(error.__cause__, asyncio.CancelledError)
        assert "CancelledError, although neither its callers nor the cache" in str(error)
        assert not fetch.cache_contains(1)
        assert fetch.cache_parameters()["tasks"] == 0
        again = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        futures[1].set_result(7)
        assert await again == 7
    assert fetch.cache_info() == (1, 2, 128, 1)


if sys.version_info >= (3, 11):  # defined only where the APIs exist, for the checkers too

    @pytest.mark.parametrize("alone", [False, True], ids=["others-wait", "last-caller"])
    async def test_asyncio_timeout_gives_its_own_timeout_error_and_no_pending_cancel(
        alone: bool,
    ) -> None:
        """A caller whose asyncio.timeout expires gets that timeout's TimeoutError, its
        task's cancelling() is back to 0 and it can await again, whether other callers
        still wait or it was the last one."""
        release = asyncio.Event()
        timeouts: list[asyncio.Timeout] = []
        seen: list[object] = []

        @alru_cache
        async def fetch(x: int) -> int:
            await release.wait()
            return x

        async def impatient() -> None:
            task = asyncio.current_task()
            assert task is not None
            try:
                async with asyncio.timeout(None) as timeout:
                    timeouts.append(timeout)
                    await fetch(1)
            except TimeoutError as exc:
                seen.append(type(exc.__context__))
                seen.append(task.cancelling())
                await asyncio.sleep(0)  # would raise if a cancellation were left pending
                seen.append(task.cancelling())

        with anyio.fail_after(TIMEOUT):
            others = [] if alone else [asyncio.create_task(fetch(1))]
            await anyio.wait_all_tasks_blocked()
            task = asyncio.create_task(impatient())
            await anyio.wait_all_tasks_blocked()
            timeouts[0].reschedule(asyncio.get_running_loop().time())
            await task
            release.set()
            assert await asyncio.gather(*others) == [1] * len(others)
        assert timeouts[0].expired()
        assert seen == [asyncio.CancelledError, 0, 0]
        assert not task.cancelled()


# --- shields inside the function -------------------------------------------------------


async def test_close_leaves_an_anyio_shield_inside_the_function_holding() -> None:
    """cache_close() cancels the computation through its cancel scope, so an
    anyio.CancelScope(shield=True) inside the function runs to its end first (on 3.11+
    close used to cancel the task itself, which went through the shield)."""
    gate = asyncio.Event()
    shielded: list[int] = []
    after_shield: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        with anyio.CancelScope(shield=True):
            await gate.wait()
            shielded.append(x)
        await asyncio.sleep(0)  # close's cancellation arrives here
        after_shield.append(x)
        return x

    with anyio.fail_after(TIMEOUT):
        caller = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        closing = asyncio.create_task(fetch.cache_close())
        await anyio.wait_all_tasks_blocked()
        assert not closing.done()
        assert shielded == []
        gate.set()
        await closing
        assert shielded == [1]
        with pytest.raises(CacheClosedError):
            await caller
    assert after_shield == []
    assert fetch.cache_parameters()["tasks"] == 0


async def test_last_callers_cancellation_waits_for_an_anyio_shield_inside_the_function() -> None:
    """Task.cancel() of the last caller cancels the computation through its cancel scope:
    an anyio shield inside the function runs to its end, and the caller's CancelledError
    arrives only after the function unwound."""
    gate = asyncio.Event()
    events: list[str] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            with anyio.CancelScope(shield=True):
                await gate.wait()
                events.append("shield ended")
            await asyncio.sleep(0)
            events.append("not cancelled")
        finally:
            events.append("finally")
        return x

    async def caller() -> None:
        try:
            await fetch(1)
        except asyncio.CancelledError:
            events.append("caller cancelled")
            raise

    with anyio.fail_after(TIMEOUT):
        task = asyncio.create_task(caller())
        await anyio.wait_all_tasks_blocked()
        task.cancel()
        await anyio.wait_all_tasks_blocked()
        assert not task.done()
        assert not fetch.cache_contains(1)
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert events == ["shield ended", "finally", "caller cancelled"]
    assert fetch.cache_parameters()["tasks"] == 0


async def test_last_caller_cancelled_again_while_the_function_unwinds_waits_for_it() -> None:
    """A second Task.cancel() of the last caller while the function unwinds does not cut
    its wait short: its cancellation still arrives only after the function ended."""
    gate = asyncio.Event()
    events: list[str] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            with anyio.CancelScope(shield=True):
                await gate.wait()
        finally:
            events.append("finally")
        return x

    async def caller() -> None:
        try:
            await fetch(1)
        except asyncio.CancelledError:
            events.append("caller cancelled")
            raise

    with anyio.fail_after(TIMEOUT):
        task = asyncio.create_task(caller())
        await anyio.wait_all_tasks_blocked()
        task.cancel()
        await anyio.wait_all_tasks_blocked()
        task.cancel()
        await anyio.wait_all_tasks_blocked()
        assert not task.done()
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert events == ["finally", "caller cancelled"]
    assert fetch.cache_parameters()["tasks"] == 0


# --- BaseExceptions ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_base_exception_of_the_function_reaches_its_callers_not_the_loop(
    kind: type[BaseException],
) -> None:
    """A KeyboardInterrupt or SystemExit that the function raises reaches every caller,
    which may catch it, and never escapes the event loop from the runner task."""

    @alru_cache
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        raise kind(x)

    async def caller() -> BaseException | None:
        try:
            await fetch(1)
        except kind as exc:
            return exc
        return None

    async def main() -> list[BaseException | None]:
        return list(await asyncio.gather(caller(), caller()))

    outcomes = asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert isinstance(outcomes[0], kind)
    assert outcomes[1] is outcomes[0]
    assert fetch.cache_info() == (1, 1, 128, 0)
    assert fetch.cache_parameters()["tasks"] == 0


# --- event loop runs ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def loop_in_another_thread() -> AsyncGenerator[asyncio.AbstractEventLoop, None]:
    """Run an asyncio event loop in a thread of its own while the block runs; yield it."""
    here = asyncio.get_running_loop()
    ready = asyncio.Event()
    loops: list[asyncio.AbstractEventLoop] = []
    stops: list[asyncio.Event] = []

    async def main() -> None:
        stops.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        here.call_soon_threadsafe(ready.set)
        await stops[0].wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    try:
        await ready.wait()
        yield loops[0]
    finally:
        if loops:
            loops[0].call_soon_threadsafe(stops[0].set)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(thread.join, TIMEOUT)
    assert not thread.is_alive()


def on_loop(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
    """Run *coroutine* on *loop*, running in another thread, and await its result here."""
    return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


async def test_calls_from_another_threads_loop_get_a_flight_of_their_own() -> None:
    """Ten equal calls interleaved across this loop and another thread's loop run the
    function exactly twice, once per loop, with both flights counted; cache_close() in
    this loop stops this loop's flight only, whose callers get CacheClosedError, while
    the other loop's flight runs on and serves its callers."""
    here = asyncio.get_running_loop()
    started = {"here": asyncio.Event(), "there": asyncio.Event()}
    releases = {"here": asyncio.Event(), "there": asyncio.Event()}  # bound where awaited
    runs: list[str] = []
    cancelled: list[str] = []

    @alru_cache
    async def fetch(x: int) -> str:
        name = "here" if asyncio.get_running_loop() is here else "there"
        runs.append(name)
        here.call_soon_threadsafe(started[name].set)
        try:
            await releases[name].wait()
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return name

    async def add_caller() -> asyncio.Task[str]:
        task = asyncio.create_task(fetch(1))
        await asyncio.sleep(0)  # the call has been made and counted
        return task

    async def results(tasks: list[asyncio.Task[str]]) -> list[str]:
        return list(await asyncio.gather(*tasks))

    with anyio.fail_after(TIMEOUT):
        async with loop_in_another_thread() as there:
            callers_here: list[asyncio.Task[str]] = []
            callers_there: list[asyncio.Task[str]] = []
            for _ in range(5):
                callers_here.append(await add_caller())
                callers_there.append(await on_loop(there, add_caller()))
            await started["here"].wait()
            await started["there"].wait()
            assert sorted(runs) == ["here", "there"]
            assert fetch.cache_parameters()["tasks"] == 2
            assert fetch.cache_info().currsize == 2
            await fetch.cache_close()
            outcomes = await asyncio.gather(*callers_here, return_exceptions=True)
            assert [type(outcome) for outcome in outcomes] == [CacheClosedError] * 5
            assert cancelled == ["here"]
            assert fetch.cache_parameters()["tasks"] == 1
            there.call_soon_threadsafe(releases["there"].set)
            assert await on_loop(there, results(callers_there)) == ["there"] * 5
    assert sorted(runs) == ["here", "there"]
    assert cancelled == ["here"]
    assert fetch.cache_info()[:2] == (8, 2)
    assert fetch.cache_parameters()["tasks"] == 0


def test_flight_of_a_closed_loop_is_forgotten_and_a_later_run_computes() -> None:
    """A computation still pending in a loop that is only stopped counts in tasks and
    currsize; once that loop is closed it counts nowhere, cache_contains says False, and
    a later asyncio.run() computes the value instead of waiting for it."""
    blocked = True
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        if blocked:
            await asyncio.Event().wait()
        return 2 * x

    async def leave_a_caller_behind() -> asyncio.Task[int]:
        task = asyncio.create_task(fetch(1))
        await anyio.wait_all_tasks_blocked()
        return task

    loop = asyncio.new_event_loop()
    caller = loop.run_until_complete(leave_a_caller_behind())
    assert runs == [1]
    assert fetch.cache_parameters()["tasks"] == 1  # the loop may run again
    assert fetch.cache_info().currsize == 1
    assert fetch.cache_contains(1)
    loop.close()
    assert fetch.cache_parameters()["tasks"] == 0
    assert fetch.cache_info().currsize == 0
    assert not fetch.cache_contains(1)
    blocked = False
    assert asyncio.run(asyncio.wait_for(fetch(1), TIMEOUT)) == 2
    assert runs == [1, 1]
    assert fetch.cache_info() == (0, 2, 128, 1)
    del caller  # the closed loop's tasks are collected without an error
    gc.collect()
    assert fetch.cache_parameters()["tasks"] == 0
    assert fetch.cache_info().currsize == 1


# --- eager starts (3.12+) ----------------------------------------------------------------


async def test_function_returning_at_once_completes_inside_the_first_call_on_3_12() -> None:
    """On Python 3.12+ a function that returns without suspending completes inside the
    first call, with no loop iteration; before 3.12 its runner starts on the next one."""
    ticks: list[int] = []
    seen: list[asyncio.Task[Any] | None] = []

    @alru_cache
    async def fetch(x: int) -> int:
        seen.append(asyncio.current_task())
        return x

    asyncio.get_running_loop().call_soon(ticks.append, 1)
    assert await fetch(1) == 1
    assert ticks == ([] if EAGER else [1])
    assert seen[0] is not asyncio.current_task()
    assert fetch.cache_info() == (0, 1, 128, 1)
    assert fetch.cache_parameters()["tasks"] == 0


def on_loop_with(factory: Any, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run *main()* in a fresh event loop whose task factory is *factory*."""

    async def with_factory() -> T:
        asyncio.get_running_loop().set_task_factory(factory)
        return await asyncio.wait_for(main(), TIMEOUT)

    return asyncio.run(with_factory())


@pytest.mark.parametrize("factory", TASK_FACTORIES, ids=lambda factory: str(factory is not None))
def test_single_flight_and_a_callers_cancellation_work_with_the_loops_task_factory(
    factory: Any,
) -> None:
    """Under the loop's task factory (asyncio.eager_task_factory on 3.12+), equal calls
    share one run of a function that gathers tasks of its own, and a cancelled caller
    leaves that run to the others."""
    release = asyncio.Event()
    runs: list[int] = []

    async def child(x: int) -> int:
        await release.wait()
        return x

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        return sum(await asyncio.gather(child(x), child(x)))

    async def main() -> list[object]:
        callers = [asyncio.create_task(fetch(1)) for _ in range(3)]
        await anyio.wait_all_tasks_blocked()
        callers[0].cancel()
        await anyio.wait_all_tasks_blocked()
        assert runs == [1]
        release.set()
        return list(await asyncio.gather(*callers, return_exceptions=True))

    outcomes = on_loop_with(factory, main)
    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert outcomes[1:] == [2, 2]
    assert runs == [1]
    assert fetch.cache_info() == (2, 1, 128, 1)


@pytest.mark.parametrize("factory", TASK_FACTORIES, ids=lambda factory: str(factory is not None))
def test_close_stops_the_computations_under_the_loops_task_factory(factory: Any) -> None:
    """Under the loop's task factory (asyncio.eager_task_factory on 3.12+), cache_close()
    stops the computations, runs their finally, and their callers get CacheClosedError."""
    finalised: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await asyncio.Event().wait()
        finally:
            finalised.append(x)
        return x

    async def main() -> list[object]:
        callers = [asyncio.create_task(fetch(x)) for x in (1, 1, 2)]
        await anyio.wait_all_tasks_blocked()
        assert fetch.cache_parameters()["tasks"] == 2
        await fetch.cache_close()
        assert sorted(finalised) == [1, 2]
        return list(await asyncio.gather(*callers, return_exceptions=True))

    outcomes = on_loop_with(factory, main)
    assert [type(outcome) for outcome in outcomes] == [CacheClosedError] * 3
    assert fetch.cache_parameters()["tasks"] == 0
