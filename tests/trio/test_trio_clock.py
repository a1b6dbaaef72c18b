"""TTL and timeouts on trio time: ``timer=trio.current_time`` and trio's
``MockClock(autojump_threshold=0)``, which jumps the clock forward whenever every task
is blocked, so expiry and timeouts happen at once and exactly when due."""

from __future__ import annotations

import pytest
import trio
import trio.lowlevel
import trio.testing

from async_lru import alru_cache

# A bound on trio time: the mock clock jumps to it if the test hangs.
TIMEOUT = 1000


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    """Run this module's tests on trio with a fresh autojumping mock clock each."""
    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


@pytest.fixture(autouse=True)
async def mock_clock_is_running() -> None:
    """Fail the tests of this module at once if the mock clock did not take effect."""
    assert isinstance(trio.lowlevel.current_clock(), trio.testing.MockClock)


async def test_entry_expires_once_ttl_of_trio_time_has_passed() -> None:
    """A result is a hit until ttl seconds of trio time have passed, then a miss."""
    runs: list[int] = []

    @alru_cache(ttl=10, timer=trio.current_time)
    async def fetch(x: int) -> int:
        runs.append(x)
        return x

    with trio.fail_after(TIMEOUT):
        assert await fetch(1) == 1
        await trio.sleep(9.5)
        assert fetch.cache_contains(1)
        assert await fetch(1) == 1
        assert runs == [1]
        await trio.sleep(1)
        assert not fetch.cache_contains(1)
        assert await fetch(1) == 1
        assert runs == [1, 1]
        assert fetch.cache_info() == (1, 2, 128, 1)


async def test_hits_do_not_extend_the_deadline() -> None:
    """Hits within the ttl leave the deadline where the store put it."""
    runs: list[int] = []

    @alru_cache(ttl=10, timer=trio.current_time)
    async def fetch(x: int) -> int:
        runs.append(x)
        return x

    with trio.fail_after(TIMEOUT):
        await fetch(1)
        for _ in range(3):
            await trio.sleep(3)
            await fetch(1)  # at 3, 6 and 9: hits
        assert runs == [1]
        await trio.sleep(1.5)  # 10.5 seconds after the store
        assert not fetch.cache_contains(1)
        await fetch(1)
    assert runs == [1, 1]


async def test_deadline_counts_from_when_the_result_is_stored() -> None:
    """A function that takes five seconds of trio time stores a result that lives ttl
    seconds from the moment it returned, not from the call."""

    @alru_cache(ttl=10, timer=trio.current_time)
    async def slow(x: int) -> int:
        await trio.sleep(5)
        return x

    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        await slow(1)
        assert trio.current_time() == pytest.approx(start + 5)
        await trio.sleep(9.5)  # 14.5 after the call, 9.5 after the store
        assert slow.cache_contains(1)
        await trio.sleep(1)
        assert not slow.cache_contains(1)


async def test_jitter_deadlines_fall_within_ttl_and_ttl_plus_jitter() -> None:
    """Entries stored at one instant with ttl 10 and jitter 4 are all alive just before
    10 seconds, some alive and some expired at 12, and all expired just after 14."""

    @alru_cache(maxsize=None, ttl=10, jitter=4, timer=trio.current_time)
    async def fetch(x: int) -> int:
        return x

    keys = range(64)
    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        for x in keys:
            await fetch(x)
        assert trio.current_time() == start  # no time passed: one store instant
        await trio.sleep(9.99)
        assert all(fetch.cache_contains(x) for x in keys)
        await trio.sleep(2.01)
        alive = sum(fetch.cache_contains(x) for x in keys)
        assert 0 < alive < len(keys)  # all on one side: probability 2 ** -63
        assert fetch.cache_info().currsize == alive
        await trio.sleep(2.01)
        assert not any(fetch.cache_contains(x) for x in keys)
        assert fetch.cache_info().currsize == 0


async def test_contains_and_currsize_leave_out_expired_entries() -> None:
    """Entries stored at different trio times expire one by one: cache_contains and
    currsize follow them, and an expired key is computed again when called."""
    runs: list[int] = []

    @alru_cache(maxsize=None, ttl=10, timer=trio.current_time)
    async def fetch(x: int) -> int:
        runs.append(x)
        return x

    with trio.fail_after(TIMEOUT):
        for x in (1, 2, 3):
            await fetch(x)
            await trio.sleep(4)  # stored at 0, 4 and 8
        # now 12: key 1 has expired
        assert [fetch.cache_contains(x) for x in (1, 2, 3)] == [False, True, True]
        assert fetch.cache_info().currsize == 2
        await trio.sleep(4)  # now 16: key 2 has expired too
        assert [fetch.cache_contains(x) for x in (1, 2, 3)] == [False, False, True]
        assert fetch.cache_info().currsize == 1
        await fetch(2)
    assert runs == [1, 2, 3, 2]


async def test_expired_key_called_concurrently_runs_the_function_once() -> None:
    """Equal calls of an expired key in a nursery share one new run."""
    runs: list[int] = []

    @alru_cache(ttl=10, timer=trio.current_time)
    async def fetch(x: int) -> int:
        runs.append(x)
        await trio.sleep(1)
        return x

    with trio.fail_after(TIMEOUT):
        await fetch(1)
        await trio.sleep(20)
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(fetch, 1)
    assert runs == [1, 1]
    assert fetch.cache_info() == (4, 2, 128, 1)


async def test_move_on_after_around_a_joiner_affects_only_that_joiner() -> None:
    """A joiner under trio.move_on_after(5) gives up after five seconds; the leader's
    run goes on and its result is stored."""
    runs: list[int] = []
    results: list[int] = []

    @alru_cache(ttl=100, timer=trio.current_time)
    async def slow(x: int) -> int:
        runs.append(x)
        await trio.sleep(30)
        return 3 * x

    async def leader() -> None:
        results.append(await slow(1))

    async def impatient() -> None:
        with trio.move_on_after(5) as scope:
            results.append(-await slow(1))
        assert scope.cancelled_caught
        assert trio.current_time() == pytest.approx(start + 5)
        assert slow.cache_parameters()["tasks"] == 1

    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(impatient)
        assert trio.current_time() == pytest.approx(start + 30)
    assert runs == [1]
    assert results == [3]
    assert slow.cache_info() == (1, 1, 128, 1)


async def test_move_on_after_around_the_first_caller_leaves_the_run_to_the_joiners() -> None:
    """A first caller under trio.move_on_after(5) gives up after five seconds; the
    function runs on, once, and the joiners get its result thirty seconds after the
    first call."""
    runs: list[float] = []
    results: list[int] = []

    @alru_cache(ttl=100, timer=trio.current_time)
    async def slow(x: int) -> int:
        runs.append(trio.current_time() - start)
        await trio.sleep(30)
        return len(runs)

    async def impatient() -> None:
        with trio.move_on_after(5) as scope:
            results.append(-await slow(1))
        assert scope.cancelled_caught
        assert trio.current_time() == pytest.approx(start + 5)
        assert slow.cache_parameters()["tasks"] == 1

    async def joiner() -> None:
        results.append(await slow(1))

    with trio.fail_after(TIMEOUT):
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(impatient)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(joiner)
            nursery.start_soon(joiner)
        assert trio.current_time() == pytest.approx(start + 30)
    assert runs == pytest.approx([0])
    assert results == [1, 1]
    assert slow.cache_info() == (2, 1, 128, 1)
