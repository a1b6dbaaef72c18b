"""Bad input gets a clear error or its plain result and leaves the cache consistent."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from async_lru import alru_cache


class Interrupt(BaseException):
    """A KeyboardInterrupt-like exception outside the Exception hierarchy."""


class Unhashable:
    """Equal to every other instance, with no hash."""

    __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)


def assert_untouched(cached: Any, hits: int = 0, misses: int = 0, currsize: int = 0) -> None:
    """The counters and size are as given and nothing is in flight."""
    info = cached.cache_info()
    assert (info.hits, info.misses, info.currsize) == (hits, misses, currsize)
    assert cached.cache_parameters()["tasks"] == 0
    assert cached._flights.slots == {}


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_unhashable_positional_argument_raises_type_error(ttl: float | None) -> None:
    """An unhashable positional argument raises TypeError and changes no counter."""
    calls: list[object] = []

    @alru_cache(ttl=ttl)
    async def echo(x: object) -> object:
        calls.append(x)
        return x

    await echo(1)
    with pytest.raises(TypeError, match="unhashable"):
        await echo([1, 2])
    with pytest.raises(TypeError, match="unhashable"):
        await echo(Unhashable())
    assert calls == [1]
    assert_untouched(echo, misses=1, currsize=1)
    assert await echo(1) == 1
    assert_untouched(echo, hits=1, misses=1, currsize=1)


async def test_unhashable_keyword_argument_raises_type_error() -> None:
    """An unhashable keyword argument raises TypeError and changes no counter."""

    @alru_cache
    async def echo(x: object = None) -> object:
        return x

    with pytest.raises(TypeError, match="unhashable"):
        await echo(x={"a": 1})
    assert_untouched(echo)
    assert await echo(x=2) == 2
    assert_untouched(echo, misses=1, currsize=1)


async def test_typed_cache_with_unhashable_argument_raises_type_error() -> None:
    """typed=True rejects an unhashable argument like the untyped cache does."""

    @alru_cache(typed=True)
    async def echo(x: object) -> object:
        return x

    with pytest.raises(TypeError, match="unhashable"):
        await echo({1})
    assert_untouched(echo)
    assert await echo(1.0) == 1.0
    assert_untouched(echo, misses=1, currsize=1)


async def test_method_of_unhashable_instance_raises_type_error() -> None:
    """A method call on an unhashable instance raises TypeError, as with functools."""

    class Service(Unhashable):
        @alru_cache
        async def get(self, x: int) -> int:
            return x

    service = Service()
    with pytest.raises(TypeError, match="unhashable"):
        await service.get(1)
    assert_untouched(Service.get)


def test_invalidate_and_contains_with_unhashable_argument_raise_type_error() -> None:
    """cache_invalidate and cache_contains reject unhashable arguments with TypeError."""

    @alru_cache
    async def echo(x: object) -> object:
        return x

    with pytest.raises(TypeError, match="unhashable"):
        echo.cache_invalidate([1])
    with pytest.raises(TypeError, match="unhashable"):
        echo.cache_contains([1])
    assert_untouched(echo)


async def test_key_callable_that_raises_propagates_its_error() -> None:
    """A key callable's own exception reaches the caller and changes no counter."""

    def key(x: int) -> Hashable:
        if x < 0:
            raise ValueError("negative key")
        return x

    @alru_cache(key=key)
    async def echo(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="negative key"):
        await echo(-1)
    with pytest.raises(ValueError, match="negative key"):
        echo.cache_invalidate(-1)
    with pytest.raises(ValueError, match="negative key"):
        echo.cache_contains(-1)
    assert_untouched(echo)
    assert await echo(3) == 3
    assert_untouched(echo, misses=1, currsize=1)


async def test_key_callable_returning_unhashable_raises_type_error() -> None:
    """A key callable that returns an unhashable value gets TypeError at call time."""

    def key(x: int) -> Any:
        return [x] if x else x

    @alru_cache(key=key)
    async def echo(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="unhashable"):
        await echo(1)
    with pytest.raises(TypeError, match="unhashable"):
        echo.cache_contains(1)
    assert_untouched(echo)
    assert await echo(0) == 0
    assert_untouched(echo, misses=1, currsize=1)


async def test_base_exception_reaches_every_caller_uncached() -> None:
    """A BaseException subclass from the function reaches every caller and is not cached."""
    runs = 0

    @alru_cache
    async def interrupted(x: int) -> int:
        nonlocal runs
        runs += 1
        await anyio.lowlevel.checkpoint()
        if runs == 1:
            raise Interrupt(x)
        return x

    caught: list[BaseException] = []

    async def call() -> None:
        try:
            await interrupted(5)
        except Interrupt as exc:
            caught.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(call)
    assert len(caught) == 3
    assert caught[0] is caught[1] is caught[2]
    assert_untouched(interrupted, hits=2, misses=1)
    assert await interrupted(5) == 5
    assert runs == 2
    assert_untouched(interrupted, hits=2, misses=2, currsize=1)


async def test_base_exception_before_suspending_is_not_cached() -> None:
    """A BaseException raised before the function suspends reaches its caller only."""
    runs = 0

    @alru_cache(ttl=60)
    async def interrupted(x: int) -> int:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise Interrupt(x)
        return x

    with pytest.raises(Interrupt):
        await interrupted(1)
    assert_untouched(interrupted, misses=1)
    assert await interrupted(1) == 1
    assert await interrupted(1) == 1
    assert_untouched(interrupted, hits=1, misses=2, currsize=1)


async def test_generator_exit_from_function_reaches_caller_as_runtime_error_uncached() -> None:
    """GeneratorExit raised by the function reaches its caller as a RuntimeError caused
    by it (never as a GeneratorExit of the caller's own), and is not cached."""
    runs = 0
    raised: list[GeneratorExit] = []

    @alru_cache
    async def closing(x: int) -> int:
        nonlocal runs
        runs += 1
        await anyio.lowlevel.checkpoint()
        if runs == 1:
            error = GeneratorExit()
            raised.append(error)
            raise error
        return x

    with pytest.raises(
        RuntimeError, match="GeneratorExit, although neither its callers nor the cache cancelled it"
    ) as info:
        await closing(2)
    assert info.value.__cause__ is raised[0]
    assert_untouched(closing, misses=1)
    assert await closing(2) == 2
    assert_untouched(closing, misses=2, currsize=1)


@pytest.mark.parametrize("ttl", [None, 10.0])
async def test_none_result_is_cached_like_any_other(ttl: float | None) -> None:
    """A function returning None has that None stored and returned as a hit."""
    runs = 0

    @alru_cache(ttl=ttl)
    async def nothing(x: int) -> object:
        nonlocal runs
        runs += 1
        return None

    assert await nothing(1) is None
    assert await nothing(1) is None
    assert nothing.cache_contains(1)
    assert runs == 1
    assert_untouched(nothing, hits=1, misses=1, currsize=1)
    assert nothing.cache_invalidate(1)
    assert not nothing.cache_contains(1)


# --- freshness: stale, and a ttl callable that fails ---------------------------------------

STALE_TIMEOUT = 10
NAN = float("nan")


@pytest.mark.parametrize("stale", ["5", b"5", [5], True, 1j])
def test_stale_that_is_not_a_real_number_raises_type_error(stale: object) -> None:
    """stale must be a real number: anything else, bool included, is a TypeError
    naming stale."""
    with pytest.raises(TypeError, match="stale"):
        alru_cache(ttl=10, stale=stale)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize("stale", [-1, -0.5, NAN, float("-inf")])
def test_negative_or_nan_stale_raises_value_error(stale: float) -> None:
    """A negative or NaN stale is a ValueError naming stale."""
    with pytest.raises(ValueError, match="stale must be non-negative"):
        alru_cache(ttl=10, stale=stale)


def test_stale_without_ttl_raises_value_error() -> None:
    """stale without a ttl has nothing to be stale after: a ValueError."""
    with pytest.raises(ValueError, match="stale requires ttl to be set"):
        alru_cache(stale=5)


def test_stale_zero_and_none_are_accepted() -> None:
    """stale=0 (no window) and stale=None are valid, with a numeric or callable ttl."""
    alru_cache(ttl=1, stale=0)
    alru_cache(ttl=1, stale=None)
    alru_cache(ttl=lambda value: 1.0, stale=2.5)


def ttl_raising(value: object) -> float:
    raise LookupError(f"no lifetime for {value!r}")


def ttl_giving_text(value: object) -> object:
    return "5"


def ttl_giving_bool(value: object) -> object:
    return True


def ttl_giving_negative(value: object) -> float:
    return -1.0


def ttl_giving_nan(value: object) -> float:
    return NAN


BAD_TTLS: list[tuple[object, type[Exception], str]] = [
    (ttl_raising, RuntimeError, r"the ttl callable .* raised LookupError"),
    (ttl_giving_text, TypeError, "the ttl callable .* must return a real number or None"),
    (ttl_giving_bool, TypeError, "the ttl callable .* must return a real number or None"),
    (ttl_giving_negative, ValueError, "the ttl callable .* must return a non-negative number"),
    (ttl_giving_nan, ValueError, "the ttl callable .* must return a non-negative number"),
]


@pytest.mark.parametrize(("ttl", "error", "message"), BAD_TTLS)
async def test_bad_ttl_callable_gives_every_caller_an_error_naming_ttl(
    ttl: Any, error: type[Exception], message: str
) -> None:
    """Every caller of the computation whose result the ttl callable fails on gets the
    error naming ttl; nothing is stored, nothing is left in flight, and only the calls
    are counted."""
    release = anyio.Event()
    runs: list[int] = []
    caught: list[BaseException] = []

    @alru_cache(ttl=ttl)
    async def fetch(x: int) -> int:
        runs.append(x)
        await release.wait()
        return x

    async def call() -> None:
        try:
            await fetch(1)
        except Exception as exc:
            caught.append(exc)

    with anyio.fail_after(STALE_TIMEOUT):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert len(caught) == 3
    for exc in caught:
        assert isinstance(exc, error)
        assert exc.args == caught[0].args
    with pytest.raises(error, match=message):
        raise caught[0]
    assert runs == [1]
    assert not fetch.cache_contains(1)
    assert_untouched(fetch, hits=2, misses=1)


async def test_ttl_callable_error_is_caused_by_what_it_raised() -> None:
    """The RuntimeError for a ttl callable that raised has that exception as its cause
    and names the result."""

    @alru_cache(ttl=ttl_raising)
    async def fetch(x: int) -> int:
        return 40 + x

    with pytest.raises(RuntimeError, match=r"raised LookupError.* for 42") as info:
        await fetch(2)
    assert isinstance(info.value.__cause__, LookupError)
    assert str(info.value.__cause__) == "no lifetime for 42"
    assert_untouched(fetch, misses=1)


async def test_after_a_bad_ttl_callable_result_the_next_call_computes_again() -> None:
    """A result the ttl callable failed on is not stored: the next call runs the
    function again, and stores what the callable accepts."""
    runs: list[int] = []

    def lifetime(value: int) -> float:
        return -1.0 if value == 1 else 60.0

    @alru_cache(ttl=lifetime)
    async def fetch(x: int) -> int:
        runs.append(x)
        return len(runs)

    with pytest.raises(ValueError, match="ttl callable"):
        await fetch(0)
    assert await fetch(0) == 2
    assert await fetch(0) == 2
    assert runs == [0, 0]
    assert_untouched(fetch, hits=1, misses=2, currsize=1)


async def test_bad_ttl_callable_on_a_refresh_keeps_the_stale_value() -> None:
    """A background refresh whose result the ttl callable fails on stores nothing and
    raises nowhere: the stale value is still served, and the next stale call retries."""
    now = [0.0]
    runs: list[int] = []

    def lifetime(value: int) -> float:
        if value > 1:
            raise LookupError(value)
        return 10.0

    @alru_cache(ttl=lifetime, stale=5, timer=lambda: now[0])
    async def fetch(x: int) -> int:
        runs.append(x)
        await anyio.lowlevel.checkpoint()
        return len(runs)

    with anyio.fail_after(STALE_TIMEOUT):
        assert await fetch(1) == 1
        now[0] = 11.0
        assert await fetch(1) == 1  # starts the refresh, whose result 2 fails
        await anyio.wait_all_tasks_blocked()
        assert runs == [1, 1]
        assert fetch.cache_contains(1)
        assert fetch._store.entries[1].value == 1
        assert_untouched(fetch, hits=1, misses=1, currsize=1)
        assert await fetch(1) == 1  # the next stale call retries
        await anyio.wait_all_tasks_blocked()
    assert runs == [1, 1, 1]
    assert not fetch.cache_parameters()["closed"]
