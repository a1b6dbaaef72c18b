"""Regression tests of the runner-owned flights, on trio: a task the function
starts in a nursery from outside, and an error raised by a nursery child of the
function while the computation unwinds after its last caller's cancellation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Any, cast

import anyio
import trio
import trio.testing

from async_lru import alru_cache

if sys.version_info < (3, 11):  # the backport, which trio requires below 3.11
    from exceptiongroup import BaseExceptionGroup

# Every test that waits on tasks is bounded, so a hang fails instead of blocking.
TIMEOUT = 10


class CleanupFailed(Exception):
    """What a nursery child's finally raises in these tests."""


# --- no false self-wait ---------------------------------------------------------------


async def test_task_the_function_starts_in_a_nursery_from_outside_gets_its_value() -> None:
    """A task that the function starts in a trio nursery passed in from outside, and
    does not wait for, calling the same key, gets the function's value, not
    RuntimeError."""
    joined = trio.Event()
    got: list[str] = []

    @alru_cache
    async def get_config(nursery: trio.Nursery) -> str:
        nursery.start_soon(audit, nursery)
        await joined.wait()
        return "cfg"

    async def audit(nursery: trio.Nursery) -> None:
        joined.set()  # the call below joins before get_config() resumes
        got.append(await get_config(nursery))

    with anyio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            assert await get_config(nursery) == "cfg"
    assert got == ["cfg"]
    assert get_config.cache_info()[:2] == (1, 1)
    assert get_config.cache_parameters()["tasks"] == 0


# --- an error raised while unwinding ----------------------------------------------------


def leaves(error: BaseException) -> list[type[BaseException]]:
    """Return the types of the exceptions in *error*, a group or not."""
    if isinstance(error, BaseExceptionGroup):
        group = cast("BaseExceptionGroup[BaseException]", error)  # its leaves are unknown
        return [kind for inner in group.exceptions for kind in leaves(inner)]
    return [type(error)]


async def what_the_cancelled_caller_raises(
    fetch: Callable[[int], Coroutine[Any, Any, int]],
) -> BaseException:
    """Call fetch(1) in a cancel scope cancelled once everything blocks; return what
    the call raised out of the scope."""
    scope = trio.CancelScope()
    raised: list[BaseException] = []

    async def caller() -> None:
        try:
            with scope:
                await fetch(1)
        except BaseException as exc:  # every outcome is the subject
            raised.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(caller)
        await trio.testing.wait_all_tasks_blocked()
        scope.cancel()
    assert len(raised) == 1
    return raised[0]


async def test_nursery_childs_error_while_unwinding_reaches_the_cancelled_last_caller() -> None:
    """An error that a nursery child of the function raises in its finally, once the
    last caller's cancellation has cancelled the function, reaches that caller in the
    exception group it would get without the cache; nothing is stored."""
    runs: list[int] = []

    async def child() -> None:
        try:
            await trio.sleep_forever()
        finally:
            raise CleanupFailed  # the failing cleanup under test

    async def fetch(x: int) -> int:
        runs.append(x)
        if len(runs) <= 2:  # the uncached run, then the cached one
            async with trio.open_nursery() as inner:
                inner.start_soon(child)
                await trio.sleep_forever()
        return x

    cached = alru_cache(fetch)
    with anyio.fail_after(TIMEOUT):
        without_cache = await what_the_cancelled_caller_raises(fetch)
        with_cache = await what_the_cancelled_caller_raises(cached)
        assert leaves(without_cache) == [CleanupFailed]
        assert type(with_cache) is type(without_cache)
        assert leaves(with_cache) == leaves(without_cache)
        assert cached.cache_info().currsize == 0
        assert cached.cache_parameters()["tasks"] == 0
        assert await cached(1) == 1
    assert runs == [1, 1, 1]
