"""Stored results: keys, LRU order and eviction, TTL, reclaiming, invalidate/clear/contains."""

from __future__ import annotations

from collections.abc import Hashable

import pytest

from async_lru import alru_cache


class FakeTimer:
    """A clock for TTL tests: returns ``now``, which the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# --- keys -----------------------------------------------------------------------------


async def test_call_and_invalidate_address_the_same_entry() -> None:
    """``f(1)`` and ``cache_invalidate(1)`` address the same entry."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    assert echo.cache_invalidate(1)
    await echo(1)
    assert calls == [1, 1]


async def test_multi_argument_call_and_invalidate_address_the_same_entry() -> None:
    """A call with several positional arguments and its invalidation share one key."""
    calls: list[tuple[int, str]] = []

    @alru_cache
    async def pair(x: int, y: str) -> tuple[int, str]:
        calls.append((x, y))
        return x, y

    await pair(1, "a")
    assert pair.cache_contains(1, "a")
    assert not pair.cache_contains(1, "b")
    assert pair.cache_invalidate(1, "a")
    assert not pair.cache_contains(1, "a")
    await pair(1, "a")
    assert calls == [(1, "a"), (1, "a")]


async def test_typed_separates_int_and_float() -> None:
    """typed=True stores 1 and 1.0 separately, positionally and as keywords."""
    calls: list[object] = []

    @alru_cache(typed=True)
    async def echo(x: object) -> object:
        calls.append(x)
        return x

    assert await echo(1) == 1
    assert type(await echo(1.0)) is float
    assert type(await echo(x=1)) is int
    assert type(await echo(x=1.0)) is float
    assert len(calls) == 4
    assert echo.cache_info().currsize == 4
    assert echo.cache_invalidate(1.0)
    assert echo.cache_contains(1)
    assert not echo.cache_contains(1.0)


async def test_keyword_arguments_are_part_of_the_key() -> None:
    """Keyword arguments key an entry that calls, contains and invalidate share."""
    calls: list[tuple[int, int]] = []

    @alru_cache
    async def add(a: int = 0, b: int = 0) -> int:
        calls.append((a, b))
        return a + b

    assert await add(a=1, b=2) == 3
    assert await add(a=1, b=2) == 3
    assert await add(a=1, b=3) == 4
    assert calls == [(1, 2), (1, 3)]
    assert add.cache_contains(a=1, b=2)
    assert not add.cache_contains(a=2, b=2)
    assert add.cache_invalidate(a=1, b=2)
    assert not add.cache_contains(a=1, b=2)
    assert add.cache_contains(a=1, b=3)


async def test_call_without_arguments_is_cached() -> None:
    """A call without any argument has an entry of its own, like any other."""
    calls: list[None] = []

    @alru_cache
    async def constant(a: int = 7) -> int:
        calls.append(None)
        return a

    assert await constant() == 7
    assert await constant() == 7
    assert await constant(7) == 7  # another key, as with functools.lru_cache
    assert len(calls) == 2
    assert constant.cache_contains()
    assert constant.cache_invalidate()
    assert not constant.cache_contains()
    assert constant.cache_contains(7)


@pytest.mark.parametrize("argument", [1.5, (1, 2), None, b"x", True])
async def test_single_argument_of_any_hashable_type_is_cached(argument: Hashable) -> None:
    """One argument that is not an int or a str keys its entry like the others."""
    calls: list[Hashable] = []

    @alru_cache
    async def echo(x: Hashable) -> Hashable:
        calls.append(x)
        return x

    assert await echo(argument) == argument
    assert await echo(argument) == argument
    assert calls == [argument]
    assert echo.cache_contains(argument)
    assert echo.cache_invalidate(argument)
    assert not echo.cache_contains(argument)


async def test_positional_and_keyword_calls_are_separate_entries() -> None:
    """``f(1)`` and ``f(x=1)`` are different keys, as in functools.lru_cache."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    assert await echo(1) == 1
    assert await echo(x=1) == 1
    assert await echo(x=1) == 1
    assert calls == [1, 1]
    assert echo.cache_info().hits == 1
    assert echo.cache_invalidate(x=1)
    assert echo.cache_contains(1)


async def test_custom_key_is_used_for_calls() -> None:
    """Calls whose custom keys are equal share one entry."""
    calls: list[tuple[int, str]] = []

    def first(x: int, note: str = "") -> Hashable:
        return x

    @alru_cache(key=first)
    async def echo(x: int, note: str = "") -> str:
        calls.append((x, note))
        return f"{x}{note}"

    assert await echo(1, "a") == "1a"
    assert await echo(1, note="b") == "1a"
    assert await echo(2, "a") == "2a"
    assert calls == [(1, "a"), (2, "a")]
    info = echo.cache_info()
    assert (info.hits, info.misses) == (1, 2)


async def test_custom_key_is_used_for_invalidate_and_contains() -> None:
    """cache_invalidate and cache_contains build their key with the custom key."""
    calls: list[int] = []

    def first(x: int, note: str = "") -> Hashable:
        return ("k", x)

    @alru_cache(key=first)
    async def echo(x: int, note: str = "") -> int:
        calls.append(x)
        return x

    await echo(1, "a")
    assert echo.cache_contains(1)
    assert echo.cache_contains(1, note="zzz")
    assert not echo.cache_contains(2)
    assert echo.cache_invalidate(1, "other")
    assert not echo.cache_contains(1, "a")
    await echo(1, "a")
    assert calls == [1, 1]


# --- LRU order and size ---------------------------------------------------------------


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_least_recently_stored_entry_is_evicted(ttl: float | None) -> None:
    """Storing beyond maxsize evicts the least recently used entry."""

    @alru_cache(maxsize=2, ttl=ttl)
    async def echo(x: int) -> int:
        return x

    await echo(1)
    await echo(2)
    await echo(3)
    assert not echo.cache_contains(1)
    assert echo.cache_contains(2)
    assert echo.cache_contains(3)
    assert echo.cache_info().currsize == 2


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_hit_makes_entry_most_recent(ttl: float | None) -> None:
    """A hit moves its entry to the most recent end, so another entry is evicted."""

    @alru_cache(maxsize=2, ttl=ttl)
    async def echo(x: int) -> int:
        return x

    await echo(1)
    await echo(2)
    await echo(1)
    await echo(3)
    assert echo.cache_contains(1)
    assert not echo.cache_contains(2)
    assert echo.cache_contains(3)


async def test_maxsize_none_is_unbounded() -> None:
    """maxsize=None keeps every result."""

    @alru_cache(maxsize=None)
    async def echo(x: int) -> int:
        return x

    for i in range(1000):
        await echo(i)
    info = echo.cache_info()
    assert info.maxsize is None
    assert info.currsize == 1000
    assert all(echo.cache_contains(i) for i in range(1000))


async def test_maxsize_zero_stores_nothing() -> None:
    """maxsize=0 stores no result: every sequential call runs the function."""
    calls: list[int] = []

    @alru_cache(maxsize=0)
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    assert await echo(1) == 1
    assert await echo(1) == 1
    assert calls == [1, 1]
    assert not echo.cache_contains(1)
    info = echo.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 2, 0)


async def test_negative_maxsize_is_treated_as_zero() -> None:
    """A negative maxsize behaves and reports as 0, as with functools."""
    calls: list[int] = []

    @alru_cache(maxsize=-5)
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    await echo(1)
    assert calls == [1, 1]
    assert echo.cache_info().maxsize == 0
    assert echo.cache_parameters()["maxsize"] == 0
    assert echo.cache_info().currsize == 0


# --- TTL ------------------------------------------------------------------------------


async def test_ttl_hit_before_deadline() -> None:
    """Before its deadline a stored result is returned without running the function."""
    clock = FakeTimer()
    calls: list[int] = []

    @alru_cache(ttl=10, timer=clock)
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    clock.now = 9.5
    assert await echo(1) == 1
    assert calls == [1]


async def test_ttl_deadline_is_fixed_at_store_time() -> None:
    """The deadline counts from when the result was stored, not from the call's start."""
    clock = FakeTimer()

    @alru_cache(ttl=10, timer=clock)
    async def slow(x: int) -> int:
        clock.now = 5.0  # the function takes five seconds
        return x

    await slow(1)
    clock.now = 14.5
    assert slow.cache_contains(1)
    clock.now = 15.5
    assert not slow.cache_contains(1)


async def test_ttl_hits_do_not_extend_deadline() -> None:
    """Hits leave the deadline where it was: the entry expires on schedule."""
    clock = FakeTimer()
    calls: list[int] = []

    @alru_cache(ttl=10, timer=clock)
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    for now in (3.0, 6.0, 9.0, 9.9):
        clock.now = now
        await echo(1)
    assert calls == [1]
    clock.now = 10.5
    await echo(1)
    assert calls == [1, 1]


async def test_ttl_expired_result_is_never_returned() -> None:
    """After its deadline a call runs the function again and returns the fresh result."""
    clock = FakeTimer()
    runs: list[float] = []

    @alru_cache(ttl=10, timer=clock)
    async def stamp(x: int) -> float:
        runs.append(clock.now)
        return clock.now

    assert await stamp(1) == 0.0
    clock.now = 11.0
    assert await stamp(1) == 11.0
    assert runs == [0.0, 11.0]
    info = stamp.cache_info()
    assert (info.hits, info.misses) == (0, 2)


async def test_ttl_contains_false_for_expired_entry() -> None:
    """cache_contains says True before the deadline and False after it."""
    clock = FakeTimer()

    @alru_cache(ttl=10, timer=clock)
    async def echo(x: int) -> int:
        return x

    await echo(1)
    clock.now = 9.0
    assert echo.cache_contains(1)
    clock.now = 10.5
    assert not echo.cache_contains(1)


async def test_ttl_currsize_excludes_expired_entries() -> None:
    """cache_info().currsize counts only unexpired results."""
    clock = FakeTimer()

    @alru_cache(ttl=10, timer=clock)
    async def echo(x: int) -> int:
        return x

    await echo(1)
    clock.now = 5.0
    await echo(2)
    await echo(3)
    assert echo.cache_info().currsize == 3
    clock.now = 12.0
    assert echo.cache_info().currsize == 2
    clock.now = 16.0
    assert echo.cache_info().currsize == 0


async def test_jitter_deadlines_lie_within_ttl_and_ttl_plus_jitter() -> None:
    """With jitter every deadline lies in [stored + ttl, stored + ttl + jitter]."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, jitter=5, timer=clock)
    async def echo(x: int) -> int:
        return x

    for i in range(200):
        await echo(i)
    clock.now = 9.999
    assert all(echo.cache_contains(i) for i in range(200))
    clock.now = 15.0
    assert not any(echo.cache_contains(i) for i in range(200))


async def test_jitter_spreads_deadlines() -> None:
    """With jitter, entries stored together do not all expire at the same time."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, jitter=5, timer=clock)
    async def echo(x: int) -> int:
        return x

    for i in range(200):
        await echo(i)
    clock.now = 12.5
    alive = sum(echo.cache_contains(i) for i in range(200))
    assert 0 < alive < 200
    assert echo.cache_info().currsize == alive


async def test_store_reclaims_an_expired_entry_incrementally() -> None:
    """Each call that stores a result reclaims at least one expired entry."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, timer=clock)
    async def echo(x: int) -> int:
        return x

    for i in range(10):
        await echo(i)
    entries = echo._store.entries
    assert len(entries) == 10
    clock.now = 20.0
    await echo(100)
    assert len(entries) <= 10  # the new entry came in, at least one expired went out
    for i in range(101, 110):
        await echo(i)
    assert len(entries) == 10  # ten stores reclaimed all ten expired entries
    assert all(echo.cache_contains(i) for i in range(100, 110))


async def test_store_reclaims_an_expired_entry_with_jitter() -> None:
    """With jitter too, a call that stores a result reclaims an expired entry."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, jitter=5, timer=clock)
    async def echo(x: int) -> int:
        return x

    await echo(0)  # deadline at most 15
    clock.now = 9.0
    for i in range(1, 20):  # deadlines at least 19
        await echo(i)
    entries = echo._store.entries
    assert len(entries) == 20
    clock.now = 16.0  # only entry 0 has expired
    await echo(100)
    assert 0 not in entries  # 100 came in, 0 went out
    assert len(entries) == 20


async def test_store_reclaims_an_expired_entry_after_invalidations() -> None:
    """Entries removed by cache_invalidate do not stop a store from reclaiming an
    expired one."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, timer=clock)
    async def echo(x: int) -> int:
        return x

    for i in range(10):
        await echo(i)
    clock.now = 1.0
    for i in range(10, 20):
        await echo(i)
    for i in range(10):
        echo.cache_invalidate(i)
    entries = echo._store.entries
    assert len(entries) == 10
    clock.now = 15.0  # entries 10..19 have expired
    await echo(100)
    assert len(entries) <= 10  # 100 came in, at least one expired entry went out


async def test_cache_info_reclaims_every_expired_entry() -> None:
    """cache_info() removes every expired entry from the store."""
    clock = FakeTimer()

    @alru_cache(maxsize=None, ttl=10, timer=clock)
    async def echo(x: int) -> int:
        return x

    for i in range(50):
        await echo(i)
    clock.now = 8.0
    await echo(1000)
    clock.now = 12.0
    assert echo.cache_info().currsize == 1
    assert len(echo._store.entries) == 1


async def test_removed_entries_do_not_pile_up_behind_a_long_ttl() -> None:
    """Entries evicted long before their deadline, behind an older entry kept by
    hits, are dropped from the reclaiming order too: memory follows maxsize, not
    the ttl."""
    clock = FakeTimer()

    @alru_cache(maxsize=4, ttl=3600, timer=clock)
    async def echo(x: int) -> int:
        return x

    await echo(0)
    for i in range(1, 1000):
        await echo(i)
        await echo(0)  # kept recent, so 0, with the soonest deadline, is never evicted
        assert len(echo._store._deadlines) <= 2 * 4 + 16
    assert list(echo._store.entries) == [997, 998, 999, 0]


# --- invalidate, clear, contains ------------------------------------------------------


async def test_invalidate_reports_whether_an_entry_was_removed() -> None:
    """cache_invalidate returns True when it removed an entry and False otherwise."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    assert not echo.cache_invalidate(1)
    await echo(1)
    assert echo.cache_invalidate(1)
    assert not echo.cache_invalidate(1)
    assert echo.cache_info().currsize == 0


async def test_call_after_invalidate_is_a_miss() -> None:
    """After cache_invalidate the next call runs the function and counts a miss."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    echo.cache_invalidate(1)
    await echo(1)
    assert calls == [1, 1]
    info = echo.cache_info()
    assert (info.hits, info.misses) == (0, 2)


async def test_clear_removes_entries_and_resets_counters() -> None:
    """cache_clear removes every entry and resets hits and misses to zero."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    await echo(1)
    await echo(2)
    echo.cache_clear()
    assert echo.cache_info() == (0, 0, 128, 0)
    assert not echo.cache_contains(1)
    await echo(1)
    assert calls == [1, 2, 1]
    info = echo.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 1, 1)


async def test_contains_changes_no_counter() -> None:
    """cache_contains leaves hits, misses and currsize as they were."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    await echo(1)
    before = echo.cache_info()
    assert echo.cache_contains(1)
    assert not echo.cache_contains(2)
    assert echo.cache_info() == before


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_contains_does_not_change_lru_order(ttl: float | None) -> None:
    """cache_contains does not make an entry most recent, so it is still evicted first."""

    @alru_cache(maxsize=2, ttl=ttl)
    async def echo(x: int) -> int:
        return x

    await echo(1)
    await echo(2)
    assert echo.cache_contains(1)
    await echo(3)
    assert not echo.cache_contains(1)
    assert echo.cache_contains(2)


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_stored_none_is_a_hit(ttl: float | None) -> None:
    """A stored None result is returned as a hit, not mistaken for a missing entry."""
    calls: list[int] = []

    @alru_cache(ttl=ttl)
    async def nothing(x: int) -> None:
        calls.append(x)

    await nothing(1)
    await nothing(1)
    assert calls == [1]
    assert nothing.cache_contains(1)
