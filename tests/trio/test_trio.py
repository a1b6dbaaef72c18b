"""trio-only behaviour: nurseries, trio cancel scopes, trio.Cancelled, cache_close in a
nursery, runs of trio and asyncio in turn, and trio's guest mode over asyncio."""

from __future__ import annotations

import asyncio
import sys

import outcome
import trio
import trio.lowlevel
import trio.testing

from async_lru import CacheClosedError, alru_cache

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class Boom(Exception):
    """The error a cached function raises in these tests."""


# --- single flight in nurseries --------------------------------------------------------


async def test_nursery_of_equal_calls_runs_the_function_once() -> None:
    """Ten equal calls started in a nursery run the function once: one miss, nine hits."""
    release = trio.Event()
    runs: list[int] = []
    results: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 10 * x

    async def call() -> None:
        results.append(await fetch(1))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for _ in range(10):
                nursery.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            assert fetch.cache_parameters()["tasks"] == 1
            release.set()
    assert runs == [1]
    assert results == [10] * 10
    assert fetch.cache_info() == (9, 1, 128, 1)


async def test_failure_reaches_every_caller_in_the_nursery() -> None:
    """A failure of the shared run reaches each caller in the nursery, which sees the
    very same exception, and nothing is stored."""
    release = trio.Event()
    errors: list[Boom] = []

    @alru_cache
    async def fetch(x: int) -> int:
        await release.wait()
        raise Boom(x)

    async def call() -> None:
        try:
            await fetch(1)
        except Boom as exc:
            errors.append(exc)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for _ in range(4):
                nursery.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            release.set()
    assert len(errors) == 4
    assert all(error is errors[0] for error in errors)
    assert fetch.cache_info() == (3, 1, 128, 0)


# --- trio cancellation ---------------------------------------------------------------


async def test_cancel_scope_of_the_first_caller_leaves_the_run_to_the_joiners() -> None:
    """scope.cancel() around the first caller stops only that caller, which sees
    trio.Cancelled absorbed by its scope; the function runs on, once, for every joiner."""
    release = trio.Event()
    runs: list[int] = []
    results: list[int] = []
    leader_results: list[int] = []
    leader_scope = trio.CancelScope()

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        n = len(runs)
        await release.wait()
        return n

    async def leader() -> None:
        with leader_scope:
            leader_results.append(await fetch(1))

    async def joiner() -> None:
        results.append(await fetch(1))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await trio.testing.wait_all_tasks_blocked()
            for _ in range(3):
                nursery.start_soon(joiner)
            await trio.testing.wait_all_tasks_blocked()
            leader_scope.cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert leader_scope.cancelled_caught
            assert runs == [1]
            assert fetch.cache_parameters()["tasks"] == 1
            release.set()
    assert leader_results == []
    assert runs == [1]
    assert results == [1, 1, 1]
    assert fetch.cache_info() == (3, 1, 128, 1)


async def test_first_caller_cancelled_while_the_function_runs_a_nursery_leaves_it_be() -> None:
    """A first caller cancelled while its function runs a nursery of its own leaves that
    nursery uncancelled: the function runs on, once, and its joiner gets the result."""
    release = trio.Event()
    runs: list[int] = []
    results: list[int] = []
    leader_scope = trio.CancelScope()

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        async with trio.open_nursery() as inner:
            inner.start_soon(release.wait)
        return len(runs)

    async def leader() -> None:
        with leader_scope:
            await fetch(1)

    async def joiner() -> None:
        results.append(await fetch(1))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(joiner)
            await trio.testing.wait_all_tasks_blocked()
            leader_scope.cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert leader_scope.cancelled_caught
            assert runs == [1]
            assert fetch.cache_parameters()["tasks"] == 1
            release.set()
    assert runs == [1]
    assert results == [1]
    assert fetch.cache_parameters()["tasks"] == 0


async def test_last_caller_cancelled_while_the_function_runs_a_nursery_unwinds_it() -> None:
    """When the last caller is cancelled while its function runs a nursery, whose
    children's trio.Cancelled come out as a group, the function unwinds, the caller's
    scope absorbs its own cancellation and nothing stays in flight."""
    children_cancelled: list[int] = []
    caller_scope = trio.CancelScope()

    async def child(x: int) -> None:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            children_cancelled.append(x)
            raise

    @alru_cache
    async def fetch(x: int) -> int:
        async with trio.open_nursery() as inner:
            inner.start_soon(child, x)
            inner.start_soon(child, x)
        return x

    async def caller() -> None:
        with caller_scope:
            await fetch(1)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller)
            await trio.testing.wait_all_tasks_blocked()
            caller_scope.cancel()
    assert caller_scope.cancelled_caught
    assert children_cancelled == [1, 1]
    assert fetch.cache_parameters()["tasks"] == 0
    assert not fetch.cache_contains(1)


async def escaped_cancellation() -> trio.Cancelled:
    """Return a trio.Cancelled that its own cancel scope did not absorb."""
    with trio.CancelScope() as scope:
        scope.cancel()
        try:
            await trio.lowlevel.checkpoint()
        except trio.Cancelled as exc:
            return exc
    raise AssertionError("the cancelled checkpoint did not raise")


async def test_callers_get_a_groups_errors_without_a_cancellation_nobody_asked_for() -> None:
    """When the function fails with an exception group holding an error beside a
    trio.Cancelled that escaped its own scope, every caller gets the error in a group of
    its own, with no trio.Cancelled in it."""
    groups: list[BaseExceptionGroup[BaseException]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        escaped = await escaped_cancellation()
        raise BaseExceptionGroup("the function's tasks failed", [escaped, Boom(x)])

    async def caller() -> None:
        try:
            await fetch(1)
        except BaseExceptionGroup as group:
            groups.append(group)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(caller)
            nursery.start_soon(caller)
    assert len(groups) == 2
    assert groups[0] is groups[1]
    assert groups[0].subgroup(trio.Cancelled) is None
    assert groups[0].subgroup(Boom) is not None
    assert fetch.cache_info() == (1, 1, 128, 0)
    assert fetch.cache_parameters()["tasks"] == 0


async def test_cancel_scope_of_a_joiner_affects_only_that_joiner() -> None:
    """scope.cancel() around a joiner stops it alone: the leader and the other joiner get
    the result of the one run."""
    release = trio.Event()
    runs: list[int] = []
    results: list[int] = []
    joiner_scope = trio.CancelScope()

    @alru_cache
    async def fetch(x: int) -> int:
        runs.append(x)
        await release.wait()
        return 4

    async def call() -> None:
        results.append(await fetch(1))

    async def cancelled_joiner() -> None:
        with joiner_scope:
            results.append(-await fetch(1))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(cancelled_joiner)
            nursery.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            joiner_scope.cancel()
            await trio.testing.wait_all_tasks_blocked()
            assert joiner_scope.cancelled_caught
            assert runs == [1]
            release.set()
    assert results == [4, 4]
    assert fetch.cache_info() == (2, 1, 128, 1)


async def test_cancelling_every_caller_delivers_trio_cancelled_to_the_function() -> None:
    """When the nursery of every caller is cancelled, the function sees trio.Cancelled,
    its finally runs, and nothing stays in flight."""
    seen: list[type[BaseException]] = []
    finalised: list[int] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await trio.sleep_forever()
        except BaseException as exc:
            seen.append(type(exc))
            raise
        finally:
            finalised.append(x)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for _ in range(4):
                nursery.start_soon(fetch, 1)
            await trio.testing.wait_all_tasks_blocked()
            assert fetch.cache_contains(1)
            nursery.cancel_scope.cancel()
    assert seen
    assert all(kind is trio.Cancelled for kind in seen)
    assert len(finalised) == len(seen)
    assert fetch.cache_parameters()["tasks"] == 0
    assert not fetch.cache_contains(1)


# --- close ---------------------------------------------------------------------------


async def test_close_during_flights_in_a_nursery_gives_every_caller_cache_closed_error() -> None:
    """cache_close() while a nursery's calls are in flight stops every run: each caller
    raises CacheClosedError, never trio.Cancelled, and the functions' finally runs."""
    finalised: list[int] = []
    outcomes: list[type[BaseException]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        try:
            await trio.sleep_forever()
        finally:
            finalised.append(x)

    async def call(x: int) -> None:
        try:
            await fetch(x)
        except BaseException as exc:
            outcomes.append(type(exc))
            if not isinstance(exc, CacheClosedError):
                raise

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for x in (1, 1, 1, 2, 2):
                nursery.start_soon(call, x)
            await trio.testing.wait_all_tasks_blocked()
            assert fetch.cache_parameters()["tasks"] == 2
            await fetch.cache_close()
            assert sorted(finalised) == [1, 2]
    assert outcomes == [CacheClosedError] * 5
    assert fetch.cache_parameters()["tasks"] == 0
    assert fetch.cache_parameters()["closed"] is True


async def test_close_does_not_swallow_the_leaders_own_cancellation() -> None:
    """A leader whose own cancel scope is cancelled as cache_close() stops its run sees
    trio.Cancelled, absorbed by its scope; its joiner gets CacheClosedError."""
    leader_scope = trio.CancelScope()
    leader_outcomes: list[type[BaseException]] = []
    joiner_outcomes: list[type[BaseException]] = []

    @alru_cache
    async def fetch(x: int) -> int:
        await trio.sleep_forever()

    async def leader() -> None:
        with leader_scope:
            try:
                await fetch(1)
            except BaseException as exc:
                leader_outcomes.append(type(exc))
                raise

    async def joiner() -> None:
        try:
            await fetch(1)
        except CacheClosedError as exc:
            joiner_outcomes.append(type(exc))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(joiner)
            await trio.testing.wait_all_tasks_blocked()
            leader_scope.cancel()
            await fetch.cache_close()
    assert leader_outcomes == [trio.Cancelled]
    assert leader_scope.cancelled_caught
    assert joiner_outcomes == [CacheClosedError]


async def test_close_stops_a_function_with_a_nursery_of_its_own() -> None:
    """cache_close() stops a function that runs a nursery: its children see
    trio.Cancelled and the callers get CacheClosedError."""
    children_cancelled: list[int] = []
    errors: list[CacheClosedError] = []

    async def child(x: int) -> None:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            children_cancelled.append(x)
            raise

    @alru_cache
    async def fetch(x: int) -> int:
        async with trio.open_nursery() as inner:
            inner.start_soon(child, x)
            inner.start_soon(child, x)
        return x

    async def call() -> None:
        try:
            await fetch(1)
        except CacheClosedError as exc:
            errors.append(exc)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call)
            nursery.start_soon(call)
            await trio.testing.wait_all_tasks_blocked()
            await fetch.cache_close()
    assert children_cancelled == [1, 1]
    assert len(errors) == 2


async def test_close_with_wait_lets_the_nurserys_calls_finish() -> None:
    """cache_close(wait=True) in a nursery returns once the calls in flight delivered and
    stored their result."""
    release = trio.Event()
    results: list[int] = []
    closed = trio.Event()

    @alru_cache
    async def fetch(x: int) -> int:
        await release.wait()
        return 10 * x

    async def call(x: int) -> None:
        results.append(await fetch(x))

    async def close() -> None:
        await fetch.cache_close(wait=True)
        closed.set()

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for x in (1, 1, 2):
                nursery.start_soon(call, x)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(close)
            await trio.testing.wait_all_tasks_blocked()
            assert not closed.is_set()
            release.set()
            await closed.wait()
            assert sorted(results) == [10, 10, 20]
    assert fetch.cache_contains(1)
    assert fetch.cache_contains(2)
    assert fetch.cache_parameters()["tasks"] == 0


# --- runs of trio and asyncio, guest mode --------------------------------------------


def test_trio_then_asyncio_then_trio_runs_keep_entries_and_counters() -> None:
    """A cache used by trio.run(), then asyncio.run(), then trio.run() keeps its entries
    and its counters."""
    runs: list[int] = []

    @alru_cache(maxsize=3)
    async def fetch(x: int) -> int:
        runs.append(x)
        return 2 * x

    async def on_trio(keys: list[int]) -> list[int]:
        return [await fetch(x) for x in keys]

    async def on_asyncio(keys: list[int]) -> list[int]:
        return await asyncio.gather(*(fetch(x) for x in keys))

    assert trio.run(on_trio, [1, 2]) == [2, 4]
    assert fetch.cache_info() == (0, 2, 3, 2)
    assert asyncio.run(on_asyncio([1, 2, 3])) == [2, 4, 6]
    assert fetch.cache_info() == (2, 3, 3, 3)
    assert trio.run(on_trio, [1, 4, 3]) == [2, 8, 6]
    assert fetch.cache_info() == (4, 4, 3, 3)
    assert runs == [1, 2, 3, 4]
    assert not fetch.cache_contains(2)  # the least recently used entry was evicted


def test_trio_guest_never_awaits_a_flight_of_its_asyncio_host() -> None:
    """In trio's guest mode, where trio and asyncio share one thread, a trio call made
    while the asyncio host has the key in flight computes on its own, and so does an
    asyncio call while the trio guest has it in flight."""
    runs: list[str] = []
    host_started = asyncio.Event()
    host_release = asyncio.Event()
    guest_release = trio.Event()

    @alru_cache
    async def fetch(x: int) -> str:
        if trio.lowlevel.in_trio_task():
            runs.append(f"trio {x}")
            if x == 2:
                await guest_release.wait()
            await trio.lowlevel.checkpoint()
            return f"trio {x}"
        runs.append(f"asyncio {x}")
        if x == 1:
            host_started.set()
            await host_release.wait()
        await asyncio.sleep(0)
        return f"asyncio {x}"

    async def host() -> None:
        loop = asyncio.get_running_loop()
        guest_leading = asyncio.Event()
        done: asyncio.Future[outcome.Outcome[str]] = loop.create_future()
        tokens: list[trio.lowlevel.TrioToken] = []

        async def lead_key_2() -> None:
            assert await fetch(2) == "trio 2"

        async def guest() -> str:
            tokens.append(trio.lowlevel.current_trio_token())
            with trio.fail_after(TIMEOUT):
                own = await fetch(1)  # key 1 is in flight on the host
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(lead_key_2)
                    await trio.testing.wait_all_tasks_blocked()
                    loop.call_soon(guest_leading.set)
            return own

        leader = asyncio.create_task(fetch(1))
        await asyncio.wait_for(host_started.wait(), TIMEOUT)
        assert runs == ["asyncio 1"]
        trio.lowlevel.start_guest_run(
            guest,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=done.set_result,
        )
        await asyncio.wait_for(guest_leading.wait(), TIMEOUT)
        # key 2 is in flight in the trio guest
        assert await asyncio.wait_for(fetch(2), TIMEOUT) == "asyncio 2"
        tokens[0].run_sync_soon(guest_release.set)
        assert (await asyncio.wait_for(done, TIMEOUT)).unwrap() == "trio 1"
        host_release.set()
        assert await asyncio.wait_for(leader, TIMEOUT) == "asyncio 1"

    asyncio.run(host())
    assert runs == ["asyncio 1", "trio 1", "trio 2", "asyncio 2"]
    info = fetch.cache_info()
    assert (info.hits, info.misses) == (0, 4)
    assert fetch.cache_parameters()["tasks"] == 0
