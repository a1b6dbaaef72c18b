"""Threads that each run their own asyncio or trio event loops share one cache.

Plain synchronous tests: each thread starts its own runs, so the anyio backend
fixture does not apply. A short thread switch interval makes the interpreter
interleave the threads far more often than it would by default.
"""

from __future__ import annotations

import os
import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from async_lru import alru_cache

SOAK = bool(os.environ.get("ALRU_SOAK"))
THREADS = 6
RUNS_PER_THREAD = 40 if SOAK else 6
CALLS_PER_RUN = 150 if SOAK else 60
KEYS = 24


@pytest.fixture(autouse=True)
def fast_thread_switching() -> Iterator[None]:
    """Switch threads every few microseconds during the test."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


def run_threads(target: Callable[[int], None]) -> list[BaseException]:
    """Run *target(index)* in THREADS threads at once; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def main(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:  # every failure is reported
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_threads_with_own_event_loops_share_one_cache() -> None:
    """Threads running asyncio and trio loops get correct values and exact counters."""
    wrong: list[tuple[int, int]] = []

    @alru_cache(maxsize=8, ttl=0.002)
    async def square(x: int) -> int:
        if random.random() < 0.5:
            await anyio.lowlevel.checkpoint()
        return x * x

    async def one_run(rng: random.Random) -> None:
        async def call(key: int) -> None:
            value = await square(key)
            if value != key * key:
                wrong.append((key, value))

        async with anyio.create_task_group() as tg:
            for _ in range(CALLS_PER_RUN):
                tg.start_soon(call, rng.randrange(KEYS))
                if rng.random() < 0.3:
                    await anyio.lowlevel.checkpoint()

    def worker(index: int) -> None:
        rng = random.Random(index)
        for run in range(RUNS_PER_THREAD):
            backend = "trio" if (index + run) % 2 else "asyncio"
            anyio.run(one_run, rng, backend=backend)

    errors = run_threads(worker)
    assert errors == []
    assert wrong == []
    info = square.cache_info()
    assert info.hits + info.misses == THREADS * RUNS_PER_THREAD * CALLS_PER_RUN
    assert info.currsize <= 8
    assert square.cache_parameters()["tasks"] == 0


def test_cache_info_beside_hits_in_other_threads_raises_nothing() -> None:
    """cache_info and cache_contains in some threads beside hits in others raise nothing."""
    rounds = 2000 if SOAK else 300

    @alru_cache(maxsize=None, ttl=3600)
    async def identity(x: int) -> int:
        return x

    async def fill() -> None:
        for key in range(2000):
            await identity(key)

    anyio.run(fill)

    async def hit_many(rng: random.Random) -> None:
        for _ in range(rounds * 20):
            key = rng.randrange(2000)
            assert await identity(key) == key

    def worker(index: int) -> None:
        rng = random.Random(index)
        if index % 2:
            anyio.run(hit_many, rng, backend="trio" if index % 4 == 1 else "asyncio")
            return
        for _ in range(rounds):
            identity.cache_info()
            identity.cache_contains(rng.randrange(2000))

    errors: list[Any] = run_threads(worker)
    assert errors == []
    assert identity.cache_info().currsize == 2000
