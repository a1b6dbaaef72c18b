"""Seeded fuzzing of concurrent callers, cancellations, invalidations, clears and close.

Each round builds a fresh cache and a random schedule: callers on a few keys, each
cancelled after a random number of checkpoints or not, leaders and joiners alike,
with invalidate, clear, clock moves and close interleaved. After quiescence the
round checks what every caller got and what the cache holds.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from typing import Any, cast

import anyio
import anyio.lowlevel
import pytest

from async_lru import CacheClosedError, alru_cache

SOAK = bool(os.environ.get("ALRU_SOAK"))
ROUNDS = 10_000 if SOAK else 400
KEYS = 3


class Boom(Exception):
    """The wrapped function's own failure, naming its key."""

    def __init__(self, key: int) -> None:
        super().__init__(key)
        self.key = key


class FakeTimer:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def checkpoints(count: int) -> None:
    for _ in range(count):
        await anyio.lowlevel.checkpoint()


class Schedule:
    """One fuzzed schedule on a fresh cache, and the violations it found."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = rng = random.Random(seed)
        self.timer = FakeTimer()
        self.maxsize: int | None = rng.choice([None, 0, 1, 2])
        self.ttl: float | None = rng.choice([None, None, 1.0, 3.0])
        self.fail_rate = rng.choice([0.0, 0.2, 0.5])
        # Bumped by every invalidation or clear: a result carries the version it saw.
        self.versions = [0] * KEYS
        self.running: Counter[tuple[int, int]] = Counter()
        self.close_started = False
        self.violations: list[str] = []
        self.compute = alru_cache(maxsize=self.maxsize, ttl=self.ttl, timer=self.timer)(
            self.function
        )

    def violation(self, text: str) -> None:
        self.violations.append(f"seed {self.seed}: {text}")

    async def function(self, key: int) -> tuple[int, int]:
        """The wrapped function: its key and version, or Boom, after some checkpoints."""
        tag = (key, self.versions[key])
        if self.running[tag]:
            self.violation(f"two concurrent runs of {tag}")
        self.running[tag] += 1
        try:
            await checkpoints(self.rng.randrange(5))
            if self.rng.random() < self.fail_rate:
                raise Boom(key)
            return tag
        finally:
            self.running[tag] -= 1

    def check_outcome(self, key: int, called_version: int, outcome: object) -> None:
        """A caller gets its key's value of a version no older than its call, the
        function's own failure, or CacheClosedError once a close has started."""
        if isinstance(outcome, Boom):
            if outcome.key != key:
                self.violation(f"caller of {key} got the failure of {outcome.key}")
        elif isinstance(outcome, CacheClosedError):
            if not self.close_started:
                self.violation(f"caller of {key} got CacheClosedError before any close")
        elif not (
            isinstance(outcome, tuple)
            and outcome[0] == key
            and called_version <= outcome[1] <= self.versions[key]
        ):
            self.violation(f"caller of {key} at version {called_version} got {outcome!r}")

    async def caller(self, key: int, scope: anyio.CancelScope) -> None:
        await checkpoints(self.rng.randrange(6))
        finished = False
        with scope:
            called_version = self.versions[key]
            outcome: object
            try:
                outcome = await self.compute(key)
            except (Boom, CacheClosedError) as exc:
                outcome = exc
            finished = True
            self.check_outcome(key, called_version, outcome)
        if not finished and not scope.cancel_called:
            self.violation(f"caller of {key} cancelled without a cancellation")

    async def canceller(self, scope: anyio.CancelScope, after: int) -> None:
        await checkpoints(after)
        scope.cancel()

    async def operator(self) -> None:
        """Invalidate, clear, move the clock, ask contains; maybe close at the end."""
        rng, compute = self.rng, self.compute
        for _ in range(rng.randrange(6)):
            await checkpoints(rng.randrange(8))
            action = rng.random()
            if action < 0.45:
                key = rng.randrange(KEYS)
                compute.cache_invalidate(key)
                self.versions[key] += 1
            elif action < 0.6:
                compute.cache_clear()
                self.versions = [version + 1 for version in self.versions]
            elif action < 0.85:
                self.timer.now += rng.choice([0.5, 1.0, 2.0])
            else:
                compute.cache_contains(rng.randrange(KEYS))
        if rng.random() < 0.2:
            await checkpoints(rng.randrange(8))
            self.close_started = True
            await compute.cache_close(wait=rng.random() < 0.5)

    async def run(self) -> None:
        rng = self.rng
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.operator)
                for _ in range(rng.randrange(2, 24)):
                    scope = anyio.CancelScope()
                    if rng.random() < 0.4:
                        tg.start_soon(self.canceller, scope, rng.randrange(10))
                    tg.start_soon(self.caller, rng.randrange(KEYS), scope)

    async def check_quiescence(self) -> None:
        """Nothing in flight or running, size bounded, nothing stale stored, and
        the cache still answers."""
        compute = self.compute
        if compute.cache_parameters()["tasks"] != 0 or compute._flights.slots:
            self.violation(f"in flight after quiescence: {compute._flights.slots}")
        if +self.running:
            self.violation(f"function still running: {+self.running}")
        currsize = compute.cache_info().currsize
        if self.maxsize is not None and currsize > self.maxsize:
            self.violation(f"currsize {currsize} > maxsize {self.maxsize}")
        for stored_key, found in compute._store.entries.items():
            key = cast("int", stored_key)
            value: Any = found if self.ttl is None else found.value
            if value != (key, self.versions[key]):
                self.violation(f"stale {value} stored for {key} at {self.versions[key]}")
        for key in range(KEYS):
            outcome: object
            try:
                outcome = await compute(key)
            except (Boom, CacheClosedError) as exc:
                outcome = exc
            self.check_outcome(key, self.versions[key], outcome)


async def run_schedule(seed: int) -> list[str]:
    """Run the schedule of *seed*; return the violations it found."""
    schedule = Schedule(seed)
    await schedule.run()
    await schedule.check_quiescence()
    return schedule.violations


async def test_random_schedules_keep_every_invariant() -> None:
    """Seeded schedules of callers, cancellations and cache operations break nothing."""
    violations: list[str] = []
    for seed in range(ROUNDS):
        violations += await run_schedule(seed)
    assert violations == []


async def test_joiners_get_a_result_too_short_lived_to_store() -> None:
    """With ttl=0 the leader and its joiners all get the result and none hangs."""

    @alru_cache(ttl=0)
    async def slow_double(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return 2 * x

    got: list[int | Exception] = []

    async def call() -> None:
        try:
            got.append(await slow_double(4))
        except Exception as exc:  # the leader's error must not hide a hang
            got.append(exc)

    with anyio.fail_after(1):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
    assert got == [8, 8, 8]
    assert slow_double.cache_info() == (2, 1, 128, 0)
    assert slow_double.cache_parameters()["tasks"] == 0


def test_slot_of_a_stopped_loop_traps_no_later_caller() -> None:
    """A computation left in flight by a stopped asyncio loop blocks no later run."""
    blocked = True

    @alru_cache
    async def value(x: int) -> int:
        if blocked:
            await anyio.sleep_forever()
        return x + 1

    async def start_leader() -> asyncio.Task[int]:
        task = asyncio.ensure_future(value(1))
        await asyncio.sleep(0)
        return task

    loop = asyncio.new_event_loop()
    try:
        task = loop.run_until_complete(start_leader())  # the loop stops, the leader waits
        try:
            assert value.cache_parameters()["tasks"] == 1
            blocked = False
            for backend in ("asyncio", "trio", "asyncio"):
                assert anyio.run(value, 1, backend=backend) == 2
            assert value.cache_info() == (2, 2, 128, 1)
            assert value.cache_parameters()["tasks"] == 0
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                loop.run_until_complete(task)
    finally:
        loop.close()
    assert value.cache_parameters()["tasks"] == 0


def test_runs_of_both_backends_in_turn_keep_entries_and_counters() -> None:
    """Results and counters survive alternating asyncio and trio runs unchanged."""
    rng = random.Random(7)
    runs = 40 if SOAK else 10
    calls: list[int] = []

    @alru_cache(maxsize=4)
    async def triple(x: int) -> int:
        calls.append(x)
        await anyio.lowlevel.checkpoint()
        return 3 * x

    async def burst(keys: list[int]) -> list[int]:
        got: list[int] = []

        async def call(key: int) -> None:
            got.append(await triple(key) - 3 * key)

        async with anyio.create_task_group() as tg:
            for key in keys:
                tg.start_soon(call, key)
        return got

    total = 0
    for run in range(runs):
        keys = [rng.randrange(6) for _ in range(20)]
        total += len(keys)
        backend = ("asyncio", "trio")[run % 2]
        assert anyio.run(burst, keys, backend=backend) == [0] * len(keys)
        info = triple.cache_info()
        assert info.hits + info.misses == total
        assert info.misses == len(calls)
        assert info.currsize <= 4
