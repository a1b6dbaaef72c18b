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
