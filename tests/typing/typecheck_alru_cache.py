"""What mypy and pyright must infer for ``alru_cache``; checked, never run.

Each ``assert_type`` states an inferred type. Each line ending in
``# type: ignore[code]  # pyright: ignore[rule]`` must be rejected by both checkers:
mypy's warn_unused_ignores and pyright's reportUnnecessaryTypeIgnoreComment fail the
run if it ever type-checks. Nothing here is a pytest test (no ``test_`` prefix), and
the checks live in functions that are never called.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Coroutine, Hashable
from functools import _CacheInfo, partial  # pyright: ignore[reportPrivateUsage]
from typing import Any

from async_lru import alru_cache
from async_lru._wrapper import CacheParameters

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


async def fetch(x: int, y: str = "") -> int:
    return x


def sync_fetch(x: int) -> int:
    return x


def my_key(*args: object, **kwargs: object) -> Hashable:
    return args


async def decorator_forms() -> None:
    """@alru_cache, @alru_cache(), @alru_cache(...) and alru_cache(fn) keep the signature."""

    @alru_cache
    async def bare(x: int, y: str = "") -> int:
        return x

    @alru_cache()
    async def called(x: int, y: str = "") -> int:
        return x

    @alru_cache(maxsize=10, typed=False, ttl=1.5, jitter=0.5, timer=time.monotonic)
    async def configured(x: int, y: str = "") -> int:
        return x

    @alru_cache(None, key=my_key)
    async def keyed(x: int, y: str = "") -> int:
        return x

    applied = alru_cache(fetch)
    applied_called = alru_cache(maxsize=None)(fetch)

    for cached in (bare, called, configured, keyed, applied, applied_called):
        assert_type(cached(1), Coroutine[Any, Any, int])
        assert_type(await cached(1, "a"), int)
        assert_type(await cached(1, y="a"), int)
        assert_type(cached.cache_invalidate(1, y="a"), bool)
        assert_type(cached.cache_contains(1), bool)
        assert_type(cached.cache_info(), _CacheInfo)
        assert_type(cached.cache_parameters(), CacheParameters)
        assert_type(cached.cache_parameters()["maxsize"], int | None)
        assert_type(cached.cache_clear(), None)
        assert_type(await cached.cache_close(wait=True), None)
        assert_type(cached.__name__, str)

    await bare("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await bare()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await bare(1, z=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await applied(1, 2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bare.cache_invalidate("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bare.cache_contains(1, 2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bare.cache_contains()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    bare.cache_parameters()["size"]  # type: ignore[typeddict-item]  # pyright: ignore[reportTypedDictNotRequiredAccess]
    bare.cache_info_()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    text: str = await bare(1)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del text


def rejected_decorations() -> None:
    """Bad parameters and non-coroutine functions do not type-check."""
    alru_cache(sync_fetch)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache("128")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(ttl="1")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(key=1)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache(timer=time.time_ns)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    alru_cache()(sync_fetch)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def partials() -> None:
    """A partial is accepted; its parameters are not known (typeshed's partial is (...))."""
    cached = alru_cache(partial(fetch, 1))
    assert_type(await cached(), int)
    assert_type(await cached("a"), int)
    assert_type(cached.cache_contains("a"), bool)


class Service:
    @alru_cache
    async def get(self, x: int, y: str = "") -> str:
        return y

    @classmethod
    @alru_cache
    async def load(cls, x: int) -> str:
        return cls.__name__

    @staticmethod
    @alru_cache
    async def double(x: int) -> int:
        return 2 * x


class SubService(Service):
    pass


async def methods(service: Service) -> None:
    """A bound method drops self; the class attribute keeps it."""
    assert_type(service.get(1), Coroutine[Any, Any, str])
    assert_type(await service.get(1, "a"), str)
    assert_type(await service.get(1, y="a"), str)
    assert_type(await SubService().get(1), str)
    assert_type(service.get.cache_invalidate(1, "a"), bool)
    assert_type(service.get.cache_contains(1), bool)
    assert_type(service.get.cache_info(), _CacheInfo)
    assert_type(service.get.cache_parameters(), CacheParameters)
    assert_type(service.get.cache_clear(), None)
    assert_type(await service.get.cache_close(), None)
    assert_type(service.get.__self__, Service)
    assert_type(service.get.__name__, str)

    assert_type(await Service.get(service, 1), str)
    assert_type(Service.get.cache_invalidate(service, 1), bool)
    assert_type(Service.get.cache_info(), _CacheInfo)

    await service.get("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await service.get(service, 1)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue]
    service.get.cache_invalidate("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    service.get.cache_contains(service, 1)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue]
    service.get.no_such_attribute  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    await Service.get(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def stacked(service: Service) -> None:
    """@classmethod and @staticmethod stacked above @alru_cache."""
    assert_type(await Service.load(1), str)
    assert_type(await service.load(1), str)
    assert_type(await SubService.load(1), str)
    assert_type(Service.load.cache_info(), _CacheInfo)
    assert_type(Service.load.cache_contains(1), bool)

    assert_type(await Service.double(1), int)
    assert_type(await service.double(1), int)
    assert_type(Service.double.cache_info(), _CacheInfo)
    assert_type(service.double.cache_invalidate(1), bool)

    await Service.load("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await Service.load(Service, 1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await service.double("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
