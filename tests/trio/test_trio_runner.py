"""The computation runs in a runner of its own, on trio: a system task, so
that no nursery is needed; it outlives the callers that give up while others still
wait; the last caller's cancellation unwinds it before that caller's trio.Cancelled
goes on; trio shields inside it hold; the trio guest run and its asyncio host each get
their own flight; and a BaseException it raises never ends the run as an internal error.

The async tests run on trio's MockClock(autojump_threshold=0): timeouts happen at once
and exactly when due, and a hang jumps straight to the TIMEOUT bound."""

from __future__ import annotations

import asyncio

import outcome
import pytest
import trio
import trio.lowlevel
import trio.testing

from async_lru import CacheClosedError, alru_cache

# A bound on trio time: the mock clock jumps to it if a test hangs.
TIMEOUT = 1000


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    """Run this module's async tests on trio with a fresh autojumping mock clock each."""
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


# --- the runner task --------------------------------------------------------------------


async def test_function_runs_in_a_system_task_with_no_nursery_needed() -> None:
    """The function runs in a task of the run's system nursery, not in its caller's
    task, although the caller opened no nursery."""
    tasks: list[trio.lowlevel.Task] = []

    @alru_cache
    async def fetch(x: int) -> int:
        tasks.append(trio.lowlevel.current_task())
        await trio.lowlevel.checkpoint()
        return x

    with trio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
    [task] = tasks
    assert task is not trio.lowlevel.current_task()
    nursery = task.parent_nursery
    assert nursery is not None
    assert nursery.parent_task is trio.lowlevel.current_root_task()


@pytest.mark.parametrize("how", ["move_on_after", "fail_after"])
async def test_staggered_callers_with_timeouts_shorter_than_the_function_share_one_run(
    how: str,
) -> None:
    """Eight callers arriving every 100 ms, each giving up after 150 ms, on a 200 ms
    function: it runs once, the first caller gives up (as trio's move_on_after or
    fail_after says), and the seven others, whose deadlines fall after the
    computation's end, are served."""
    runs: list[float] = []
    outcomes: dict[int, object] = {}

    @alru_cache
    async def slow(x: int) -> int:
        runs.append(trio.current_time() - start)
        await trio.sleep(0.2)
        return 10 * x

    async def caller(index: int) -> None:
        await trio.sleep(0.1 * index)
        if how == "move_on_after":
            with trio.move_on_after(0.15) as scope:
                outcomes[index] = await slow(1)
            if scope.cancelled_caught:
                outcomes[index] = "gave up"
        else:
            try:
                with trio.fail_after(0.15):
                    outcomes[index] = await slow(1)
            except trio.TooSlowError:
                outcomes[index] = "gave up"

    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for index in range(8):
                nursery.start_soon(caller, index)
    assert runs == [0]
    assert [outcomes[index] for index in range(8)] == ["gave up"] + [10] * 7
    assert slow.cache_info() == (7, 1, 128, 1)
    assert slow.cache_parameters()["tasks"] == 0


# --- the last caller's cancellation ------------------------------------------------------


async def test_last_callers_cancellation_arrives_after_the_functions_finally() -> None:
    """Cancelling the first of two callers leaves the function running; cancelling the
    second, the last, cancels it, and that caller's trio.Cancelled arrives only after
    the function's finally has run; nothing stays in flight."""
    events: list[str] = []
    scopes = [trio.CancelScope(), trio.CancelScope()]

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            events.append("function cancelled")
            raise
        finally:
            events.append("function finally")
        return x

    async def caller(index: int) -> None:
        with scopes[index]:
            try:
                await fetch(1)
            except trio.Cancelled:
                events.append(f"caller {index} cancelled")
                raise

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller, 0)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(caller, 1)
            await trio.testing.wait_all_tasks_blocked()
            scopes[0].cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert events == ["caller 0 cancelled"]
            assert fetch.cache_parameters()["tasks"] == 1
            scopes[1].cancel()
    assert events == [
        "caller 0 cancelled",
        "function cancelled",
        "function finally",
        "caller 1 cancelled",
    ]
    assert all(scope.cancelled_caught for scope in scopes)
    assert fetch.cache_parameters()["tasks"] == 0
    assert not fetch.cache_contains(1)


async def test_escaped_trio_cancelled_of_the_function_fails_its_callers() -> None:
    """A trio.Cancelled that the function raises although neither its callers nor the
    cache cancelled it reaches every caller as one RuntimeError caused by it, never as
    a cancellation of theirs; nothing is stored."""
    errors: list[RuntimeError] = []

    async def escaped_cancellation() -> trio.Cancelled:
        with trio.CancelScope() as scope:
            scope.cancel()
            try:
                await trio.lowlevel.checkpoint()
            except trio.Cancelled as exc:
                return exc
        raise AssertionError("the cancelled checkpoint did not raise")

    @alru_cache
    async def fetch(x: int) -> int:
        raise await escaped_cancellation()

    async def caller() -> None:
        try:
            await fetch(1)
        except RuntimeError as exc:
            errors.append(exc)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller)
            nursery.start_soon(caller)
    assert len(errors) == 2
    assert errors[0] is errors[1]
    assert isinstance(errors[0].__cause__, trio.Cancelled)
    assert "Cancelled, although neither its callers nor the cache" in str(errors[0])
    assert fetch.cache_info() == (1, 1, 128, 0)


# --- trio shields inside the function ---------------------------------------------------


async def test_close_leaves_a_trio_shield_inside_the_function_holding() -> None:
    """cache_close() cancels the computation through its cancel scope: a
    trio.CancelScope(shield=True) inside the function runs to its end, close returns
    after that, and the caller gets CacheClosedError."""
    gate = trio.Event()
    events: list[str] = []

    @alru_cache
    async def fetch(x: int) -> int:
        with trio.CancelScope(shield=True):
            await gate.wait()
            events.append("shield ended")
        await trio.lowlevel.checkpoint()  # close's cancellation arrives here
        events.append("not cancelled")
        return x

    async def caller() -> None:
        try:
            await fetch(1)
        except CacheClosedError:
            events.append("caller closed out")

    async def close() -> None:
        await fetch.cache_close()
        events.append("closed")

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(close)
            await trio.testing.wait_all_tasks_blocked()
            assert events == []
            gate.set()
    assert events[0] == "shield ended"
    assert sorted(events[1:]) == ["caller closed out", "closed"]
    assert fetch.cache_parameters()["tasks"] == 0


async def test_last_callers_cancellation_waits_for_a_trio_shield_inside_the_function() -> None:
    """The last caller's cancellation cancels the computation through its cancel scope:
    a trio shield inside the function runs to its end before the caller's
    trio.Cancelled arrives."""
    gate = trio.Event()
    events: list[str] = []
    caller_scope = trio.CancelScope()

    @alru_cache
    async def fetch(x: int) -> int:
        with trio.CancelScope(shield=True):
            await gate.wait()
            events.append("shield ended")
        await trio.lowlevel.checkpoint()
        events.append("not cancelled")
        return x

    async def caller() -> None:
        with caller_scope:
            try:
                await fetch(1)
            except trio.Cancelled:
                events.append("caller cancelled")
                raise

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller)
            await trio.testing.wait_all_tasks_blocked()
            caller_scope.cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert events == []
            assert not fetch.cache_contains(1)
            gate.set()
    assert events == ["shield ended", "caller cancelled"]
    assert caller_scope.cancelled_caught
    assert fetch.cache_parameters()["tasks"] == 0


# --- BaseExceptions ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_base_exception_of_the_function_reaches_its_callers_not_the_run(
    kind: type[BaseException],
) -> None:
    """A KeyboardInterrupt or SystemExit that the function raises reaches every caller,
    which may catch it, and the trio run ends normally, not as a TrioInternalError."""
    runs: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await trio.lowlevel.checkpoint()
        raise kind(x)

    async def main() -> list[BaseException]:
        caught: list[BaseException] = []

        async def caller() -> None:
            try:
                await fetch(1)
            except kind as exc:
                caught.append(exc)

        with trio.fail_after(TIMEOUT):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(caller)
                nursery.start_soon(caller)
            await caller()  # nothing was stored: the function runs again
        return caught

    caught = trio.run(main)
    assert len(caught) == 3
    assert all(isinstance(exc, kind) for exc in caught)
    assert caught[0] is caught[1]
    assert runs == [1, 1]
    assert fetch.cache_info() == (1, 2, 128, 0)


# --- trio's guest mode over asyncio -----------------------------------------------------


def test_guest_run_and_its_asyncio_host_each_get_their_own_flight_of_a_key() -> None:
    """While the asyncio host has a key in flight, the trio guest run's calls of that key
    share a flight of their own; neither run joins or replaces the other's: the host's
    later caller still joins the host's flight, both count as tasks, and each run's
    callers get their own run's value."""
    runs: list[str] = []
    host_started = asyncio.Event()
    host_release = asyncio.Event()
    guest_release = trio.Event()

    @alru_cache
    async def fetch(x: int) -> str:
        if trio.lowlevel.in_trio_task():
            runs.append("trio")
            await guest_release.wait()
            return "trio"
        runs.append("asyncio")
        host_started.set()
        await host_release.wait()
        return "asyncio"

    async def host() -> None:
        loop = asyncio.get_running_loop()
        guest_waiting = asyncio.Event()
        done: asyncio.Future[outcome.Outcome[list[str]]] = loop.create_future()
        tokens: list[trio.lowlevel.TrioToken] = []

        async def guest() -> list[str]:
            tokens.append(trio.lowlevel.current_trio_token())
            results: list[str] = []

            async def call() -> None:
                results.append(await fetch(1))

            with trio.fail_after(TIMEOUT):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(call)
                    nursery.start_soon(call)
                    await trio.testing.wait_all_tasks_blocked()
                    loop.call_soon(guest_waiting.set)
            return results

        first = asyncio.create_task(fetch(1))
        await asyncio.wait_for(host_started.wait(), TIMEOUT)
        trio.lowlevel.start_guest_run(
            guest,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=done.set_result,
        )
        await asyncio.wait_for(guest_waiting.wait(), TIMEOUT)
        assert runs == ["asyncio", "trio"]
        assert fetch.cache_parameters()["tasks"] == 2
        second = asyncio.create_task(fetch(1))
        await asyncio.sleep(0)
        assert fetch.cache_info()[:2] == (2, 2)  # it joined the host's flight
        assert fetch.cache_parameters()["tasks"] == 2
        tokens[0].run_sync_soon(guest_release.set)
        assert (await asyncio.wait_for(done, TIMEOUT)).unwrap() == ["trio", "trio"]
        assert fetch.cache_parameters()["tasks"] == 1  # the host's, still in flight
        assert not first.done()
        host_release.set()
        results = await asyncio.wait_for(asyncio.gather(first, second), TIMEOUT)
        assert list(results) == ["asyncio", "asyncio"]

    asyncio.run(host())
    assert runs == ["asyncio", "trio"]
    assert fetch.cache_info()[:2] == (2, 2)
    assert fetch.cache_parameters()["tasks"] == 0
