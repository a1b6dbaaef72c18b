"""What mypy and pyright infer for ``alru_cache``, every form of it.

Each ``assert_type`` states a type that both checkers must infer. The ``test_*``
functions also run, under both backends, so every form accepted here also works.

The ``rejected_*`` functions are type-checked but never run: each line ending in
``# type: ignore[code]  # pyright: ignore[rule]`` must be rejected, by mypy with
that code and by pyright with that rule. An ignore that silences nothing fails both
checkers (mypy's warn_unused_ignores, pyright's reportUnnecessaryTypeIgnoreComment),
so a line that starts to type-check, or fails for another reason, fails the run. A
line with only one of the two comments is rejected by that checker alone; its
comment says why.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine, Hashable
from functools import _CacheInfo, partial, partialmethod
from typing import Any

from async_lru import alru_cache
from async_lru._wrapper import CacheParameters

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


async def fetch(x: int, y: str = "") -> int:
    return x + len(y)


def sync_fetch(x: int) -> int:
    return x


async def numbers() -> AsyncIterator[int]:
    yield 1


def my_key(*args: object, **kwargs: object) -> Hashable:
    return args, frozenset(kwargs.items())


class Service:
    """A plain method, and a classmethod and a staticmethod stacked above alru_cache."""

    @alru_cache
    async def get(self, x: int, y: str = "") -> str:
        return y * x

    @classmethod
    @alru_cache
    async def load(cls, x: int) -> str:
        return cls.__name__ * x

    @staticmethod
    @alru_cache(maxsize=4)
    async def double(x: int) -> int:
        return 2 * x


class SubService(Service):
    pass


class Scaler:
    """partialmethod, cached both ways."""

    async def scaled(self, factor: int, x: int) -> int:
        return factor * x

    doubled = alru_cache(partialmethod(scaled, 2))
    tripled = alru_cache(maxsize=2)(partialmethod(scaled, 3))


# --- accepted ---------------------------------------------------------------------------


async def test_every_decorator_form_keeps_the_signature() -> None:
    """@alru_cache, @alru_cache(), @alru_cache(...) and alru_cache(fn) keep the
    parameters and the return type, for calls and for cache_invalidate/contains."""

    @alru_cache
    async def bare(x: int, y: str = "") -> int:
        return x + len(y)

    @alru_cache()
    async def called(x: int, y: str = "") -> int:
        return x + len(y)

    @alru_cache(maxsize=10, typed=True, ttl=1.5, jitter=0.5, timer=time.monotonic)
    async def configured(x: int, y: str = "") -> int:
        return x + len(y)

    @alru_cache(None, ttl=2, key=my_key)
    async def keyed(x: int, y: str = "") -> int:
        return x + len(y)

    applied = alru_cache(fetch)
    applied_called = alru_cache(maxsize=None)(fetch)

    for cached in (bare, called, configured, keyed, applied, applied_called):
        assert_type(cached(1), Coroutine[Any, Any, int]).close()
        assert assert_type(await cached(1, "a"), int) == 2
        assert assert_type(await cached(1, y="a"), int) == 2
        assert assert_type(await cached(x=1), int) == 1
        assert assert_type(cached.cache_contains(1, "a"), bool)
        assert assert_type(cached.cache_invalidate(1, y="a"), bool)
        assert not assert_type(cached.cache_contains(x=1, y="a"), bool)
        assert assert_type(await cached.__wrapped__(2), int) == 2
        assert_type(cached.__name__, str)
        assert_type(cached.cache_clear(), None)
        closing: Awaitable[None] = cached.cache_close(wait=True)
        assert_type(await closing, None)


async def test_cache_info_and_cache_parameters() -> None:
    """cache_info() is a functools._CacheInfo; cache_parameters() a TypedDict."""
    cached = alru_cache(maxsize=3)(fetch)
    await cached(1)

    info = cached.cache_info()
    assert_type(info, _CacheInfo)
    assert_type(info.hits, int)
    assert_type(info.misses, int)
    assert_type(info.maxsize, int | None)
    assert_type(info.currsize, int)
    assert info == (0, 1, 3, 1)

    parameters = cached.cache_parameters()
    assert_type(parameters, CacheParameters)
    assert_type(parameters["maxsize"], int | None)
    assert_type(parameters["typed"], bool)
    assert_type(parameters["tasks"], int)
    assert_type(parameters["closed"], bool)
    assert parameters == {"maxsize": 3, "typed": False, "tasks": 0, "closed": False}


async def test_methods_bind_the_instance() -> None:
    """obj.method(...) is called without self; Class.method(obj, ...) still works."""
    service = Service()
    assert_type(service.get(1), Coroutine[Any, Any, str]).close()
    assert assert_type(await service.get(2, "a"), str) == "aa"
    assert assert_type(await service.get(2, y="a"), str) == "aa"
    assert assert_type(await SubService().get(1, "b"), str) == "b"
    assert assert_type(service.get.cache_contains(2, "a"), bool)
    assert assert_type(service.get.cache_invalidate(2, "a"), bool)
    assert_type(service.get.cache_info(), _CacheInfo)
    assert_type(service.get.cache_parameters(), CacheParameters)
    assert_type(service.get.__self__, Service)
    assert_type(service.get.__name__, str)
    assert assert_type(await service.get.__wrapped__(service, 1, "c"), str) == "c"

    assert assert_type(await Service.get(service, 2, "a"), str) == "aa"
    assert assert_type(Service.get.cache_contains(service, 2, "a"), bool)
    assert service.get.cache_contains(2, "a")
    assert assert_type(Service.get.cache_invalidate(service, 2, y="a"), bool)
    assert_type(Service.get.cache_info(), _CacheInfo)


async def test_classmethod_and_staticmethod_stacked_above() -> None:
    """@classmethod and @staticmethod above @alru_cache type-check from the class and
    from an instance."""
    service = Service()
    assert assert_type(await Service.load(1), str) == "Service"
    assert assert_type(await service.load(1), str) == "Service"
    assert assert_type(await SubService.load(1), str) == "SubService"
    # From 3.13 classmethod no longer binds the wrapper to the class (the checkers
    # still see it bound), so cache_contains and cache_invalidate miss the class.
    bound_to_class = sys.version_info < (3, 13)
    assert assert_type(Service.load.cache_contains(1), bool) is bound_to_class
    assert assert_type(Service.load.cache_invalidate(1), bool) is bound_to_class
    assert_type(Service.load.cache_info(), _CacheInfo)

    assert assert_type(await Service.double(1), int) == 2
    assert assert_type(await service.double(x=2), int) == 4
    assert assert_type(Service.double.cache_contains(1), bool)
    assert assert_type(service.double.cache_invalidate(x=2), bool)
    assert_type(Service.double.cache_info(), _CacheInfo)


async def test_bound_cache_close_is_awaitable() -> None:
    """cache_close() of a bound method is awaited like the function's."""

    class Closing:
        @alru_cache
        async def get(self, x: int) -> int:
            return x

    closing: Awaitable[None] = Closing().get.cache_close(wait=False)
    assert_type(await closing, None)
    assert Closing.get.cache_parameters()["closed"]


async def test_partial_and_partialmethod() -> None:
    """A partial keeps its return type (its parameters are known to pyright only, as
    mypy sees a partial's call as (...)); a partialmethod binds like a method, with any
    arguments."""
    cached = alru_cache(partial(fetch, 1))
    assert assert_type(await cached(), int) == 1
    assert assert_type(await cached("ab"), int) == 3
    assert assert_type(cached.cache_contains("ab"), bool)

    scaler = Scaler()
    assert assert_type(await scaler.doubled(5), int) == 10
    assert assert_type(await scaler.tripled(5), int) == 15
    assert assert_type(scaler.doubled.cache_contains(5), bool)
    assert_type(Scaler.tripled.cache_info(), _CacheInfo)


# --- rejected (never run) ----------------------------------------------------------------


async def rejected_calls() -> None:
    """Wrong arguments, results used as another type, unknown attributes."""

    @alru_cache
    async def cached(x: int, y: str = "") -> int:
        return x

    await cached("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await cached()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await cached(1, z=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await cached(1, 2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    _text: str = await cached(1)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    cached.cache_invalidate("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    cached.cache_invalidate(1, z=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    cached.cache_contains(1, 2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    cached.cache_contains()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await cached.cache_close(True)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    _ = cached.cache_parameters()["size"]  # type: ignore[typeddict-item]  # pyright: ignore[reportGeneralTypeIssues, reportUnknownVariableType]
    _ = cached.cache_parameters()["maxsize"] + 1  # type: ignore[operator]  # pyright: ignore[reportOptionalOperand, reportUnknownVariableType]
    _ = cached.cache_info().size  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]


def rejected_decorations() -> None:
    """Bad parameters and functions that are not coroutine functions."""
    alru_cache(sync_fetch)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(numbers)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(partial(sync_fetch, 1))  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache("128")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(typed="yes")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    alru_cache(ttl="1")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    alru_cache(ttl=1, jitter="0.5")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    alru_cache(key=1)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    alru_cache(timer=time.ctime)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    alru_cache()(sync_fetch)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(maxsize=4)(numbers)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]


async def rejected_methods(service: Service) -> None:
    """A bound method takes no self; the class attribute needs one."""
    await service.get("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await service.get(service, 1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    service.get.cache_invalidate("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    service.get.cache_contains(service, 1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    _ = service.get.no_such_attribute  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    await Service.get(service)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await Service.get(1, 1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Service.get.cache_contains(1, 1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    await Service.load("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await Service.load(1, 2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await service.load("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await Service.double("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await service.double(1, 2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def rejected_partial() -> None:
    """pyright knows a partial's remaining parameters; mypy sees (...) and accepts."""
    cached = alru_cache(partial(fetch, 1))
    await cached(2)  # pyright: ignore[reportArgumentType]


# --- freshness: a ttl callable and stale ------------------------------------------------


class Token:
    """An access token that says how long it is valid."""

    def __init__(self, expires_in: float) -> None:
        self.expires_in = expires_in


def token_lifetime(result: Token) -> float | None:
    return result.expires_in or None


def text_lifetime(result: Token) -> str:
    return str(result.expires_in)


async def test_ttl_callable_and_stale_keep_the_signature() -> None:
    """ttl as a lambda or as a function of the result type, and stale as seconds, are
    accepted and keep the parameters and the return type."""

    @alru_cache(ttl=lambda result: result.expires_in, stale=5.0)
    async def by_lambda(x: int) -> Token:
        return Token(x)

    @alru_cache(maxsize=8, ttl=token_lifetime, jitter=0.5, stale=5)
    async def by_function(x: int) -> Token:
        return Token(x)

    @alru_cache(ttl=10, stale=5.0, timer=time.monotonic)
    async def by_number(x: int) -> Token:
        return Token(x)

    applied = alru_cache(ttl=token_lifetime, stale=None)(by_function.__wrapped__)

    for cached in (by_lambda, by_function, by_number, applied):
        assert assert_type(await cached(2), Token).expires_in == 2
        assert assert_type(cached.cache_contains(2), bool)
        assert assert_type(cached.cache_invalidate(2), bool)
        assert not assert_type(cached.cache_contains(x=2), bool)


def rejected_freshness() -> None:
    """stale as text, and a ttl callable whose lifetime is text."""
    alru_cache(ttl=10, stale="5")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    alru_cache(ttl=text_lifetime)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    alru_cache(ttl=lambda result: "5")  # type: ignore[arg-type, return-value]  # pyright: ignore[reportArgumentType]
