"""A hypothesis state machine checks the cache against a model of its contract.

Each event loop runs in a thread of its own behind an anyio blocking portal; the
machine starts callers in them, cancels waiting callers, lets computations finish
or fail, invalidates, clears and moves a fake clock, and after every rule waits
until each loop has nothing left to do. The wrapped function waits on a gate that
only the machine opens, so a computation lasts until the machine says, and every
caller whose wait overlaps it must share it. The model says which call starts a
computation and which joins one, when a computation is cancelled (only when its
last caller leaves) and what each caller gets; after every step the cache and the
model agree on contents, LRU order, counters, size and computations in flight.
One machine drives one loop; another drives three loops (asyncio, trio, asyncio)
at once on one cache, where each run must share only its own computations.

The freshness machines add a ttl that is a callable of the result (no expiry, not
stored, or seconds, depending on the value) and a stale window: within it a call
returns the stored value at once, as a hit, and starts one background refresh
unless a computation of its key is in flight in its run; a refresh that returns
replaces the entry, one that fails leaves it until its window ends; past the
window calls join the refresh, and nothing stale beyond it is ever returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections import Counter, OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from itertools import count
from typing import Any, ClassVar, Final

import anyio
import anyio.abc
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from async_lru import alru_cache

SOAK = bool(os.environ.get("ALRU_SOAK"))
KEYS = st.integers(min_value=0, max_value=3)
PICKS = st.integers(min_value=0, max_value=99)  # which of the waiting callers or computations
# Multiples of 0.5 are exact in binary, so deadlines compare without rounding.
DURATIONS = st.sampled_from([0.5, 1.0, 2.5])
TTLS = st.sampled_from([None, 0.0, 1.0, 2.0, 5.0, 10.0])
MAXSIZES = st.sampled_from([None, 0, 1, 2, 3])
# With freshness: short lifetimes, so that the clock crosses deadlines and windows.
FRESH_MAXSIZES = st.sampled_from([None, 2, 3, 1])
FRESH_TTLS = st.sampled_from([None, 1.0, 2.0])  # None: the ttl callable, lifetime()
STALES = st.sampled_from([1.0, 2.5, 0.5, None])
# What the ttl callable gives, picked by the result: seconds, no expiry, not stored.
LIFETIMES: Final = (1.0, 2.5, None, 5.0, 0.0)
TIMEOUT = 10

CANCELLED: Final = "cancelled"


def lifetime(result: tuple[int, int]) -> float | None:
    """The ttl callable: seconds for which *result* is returned, from its key and run."""
    key, serial = result
    return LIFETIMES[(key + serial) % len(LIFETIMES)]


class FakeTimer:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Boom(Exception):
    """The wrapped function's own failure, naming its run."""


def count_of(counter: count[int]) -> int:
    """Return how often *counter* has been advanced (its repr is "count(N)")."""
    return int(repr(counter)[6:-1])


async def settle(backend: str) -> None:
    """Return once every other task of the current event loop waits for something.

    anyio's ``wait_all_tasks_blocked()`` sleeps 0.1 s on asyncio whenever a task is
    still runnable, so on asyncio this spins the loop instead.
    """
    with anyio.fail_after(TIMEOUT):
        if backend == "trio":
            await anyio.wait_all_tasks_blocked()
            return
        this = asyncio.current_task()
        while True:
            await asyncio.sleep(0)
            tasks = [task for task in asyncio.all_tasks() if task is not this]
            waiters = [getattr(task, "_fut_waiter", None) for task in tasks]
            if all(waiter is not None and not waiter.done() for waiter in waiters):
                return


class Loop:
    """An event loop run in a thread of its own, behind a blocking portal, with a task
    group for the callers it starts."""

    def __init__(self, exits: contextlib.ExitStack, index: int, backend: str) -> None:
        self.index = index
        self.backend = backend
        self.portal: BlockingPortal = exits.enter_context(start_blocking_portal(backend))
        holder, self.group = self.portal.start_task(self.hold_group)
        exits.callback(holder.cancel)  # before the portal closes, waiting for its tasks

    def __repr__(self) -> str:
        return f"loop {self.index} ({self.backend})"

    @staticmethod
    async def hold_group(
        *, task_status: anyio.abc.TaskStatus[anyio.abc.TaskGroup] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        async with anyio.create_task_group() as group:
            task_status.started(group)
            await anyio.sleep_forever()

    async def _act(self, action: Callable[[], object]) -> None:
        action()
        await settle(self.backend)

    def act(self, action: Callable[[], object]) -> None:
        """Do *action* in the loop, then wait until the loop has nothing left to do."""
        self.portal.call(self._act, action)

    def settle(self) -> None:
        self.portal.call(settle, self.backend)


class Call:
    """One caller: its task's view, and what the model expects it to get."""

    def __init__(self, serial: int, key: int, loop: Loop) -> None:
        self.serial = serial
        self.key = key
        self.loop = loop
        self.scope: anyio.CancelScope | None = None
        self.got: object = None
        self.done = False
        self.ended_runs: set[int] = set()
        self.expected: object = None  # the model's: a value, a Boom's run, CANCELLED
        self.waiting = True  # the model's: waits on a computation

    def __repr__(self) -> str:
        return f"caller {self.serial} of {self.key} in {self.loop}"


class Run:
    """One run of the wrapped function, as the function records it."""

    def __init__(self, serial: int, key: int, caller: Call) -> None:
        self.serial = serial
        self.key = key
        self.caller = caller  # whose context the runner copied: the first caller
        self.gate: anyio.Event | None = None
        self.fail = False
        self.cancelled = False
        self.ended = False


class Computation:
    """The model of one computation in flight."""

    def __init__(self, run: Run, first: Call) -> None:
        self.run = run
        self.key = first.key
        self.loop = first.loop
        self.waiters: list[Call] = [first]
        self.registered = True  # new calls of its key in its loop join it
        self.background = False  # a refresh of a stale entry, started by a stale hit

    def __repr__(self) -> str:
        return f"computation {self.run.serial} of {self.key} in {self.loop}"


CALLER: ContextVar[Call | None] = ContextVar("model_caller", default=None)


class CacheModel(RuleBasedStateMachine):
    """Concurrent calls, cancellations, finishes, invalidations, clears and clock
    moves in one or more event loops: the cache against the model."""

    backends: ClassVar[tuple[str, ...]] = ("asyncio",)
    freshness: ClassVar[bool] = False  # draw a ttl callable and a stale window
    stats: ClassVar[Counter[str]] = Counter()  # what the examples did, all together

    def __init__(self) -> None:
        super().__init__()
        self.exits = contextlib.ExitStack()
        self.loops = [
            Loop(self.exits, index, backend) for index, backend in enumerate(self.backends)
        ]
        self.timer = FakeTimer()
        self.calls = count()
        self.serial = count()
        self.cached: Any = None
        self.runs: list[Run] = []  # appended to by the function, in its loop's thread
        self.callers: list[Call] = []
        # key -> (run's result, deadline or None), least recently used first
        self.model: OrderedDict[int, tuple[tuple[int, int], float | None]] = OrderedDict()
        self.in_flight: list[Computation] = []  # every computation not ended
        self.maxsize: int | None = None
        self.ttl: float | Callable[[tuple[int, int]], float | None] | None = None
        self.stale = 0.0  # the window after a deadline in which a stale hit is served
        self.hits = 0
        self.misses = 0

    def teardown(self) -> None:
        try:
            for call in self.callers:  # leave no caller or computation behind
                if not call.done and call.scope is not None:
                    call.loop.portal.call(call.scope.cancel)
            for loop in self.loops:
                loop.settle()
        finally:
            self.exits.close()

    def fresh(self, key: int) -> bool:
        """Return True if the model holds a result for *key* before its deadline."""
        found = self.model.get(key)
        if found is None:
            return False
        deadline = found[1]
        return deadline is None or self.timer.now < deadline

    def live(self, key: int) -> bool:
        """Return True if the model holds a result for *key*, fresh or in its stale
        window (what cache_contains and currsize count)."""
        found = self.model.get(key)
        if found is None:
            return False
        deadline = found[1]
        return deadline is None or self.timer.now < deadline + self.stale

    def live_keys(self) -> list[int]:
        return [key for key in self.model if self.live(key)]

    def registered(self, key: int, loop: Loop | None = None) -> list[Computation]:
        """Return the computations that new calls of *key* (in *loop*) would join."""
        return [
            flight
            for flight in self.in_flight
            if flight.registered and flight.key == key and loop in (None, flight.loop)
        ]

    def store(self, key: int, result: tuple[int, int]) -> None:
        """Store a result as the cache does: expired entries go, then the LRU ones.
        A stale entry of its key is replaced, or removed if the result is not stored."""
        if self.maxsize == 0:
            return
        for expired in [k for k in self.model if not self.live(k)]:
            del self.model[expired]
        self.model.pop(key, None)
        seconds = self.ttl(result) if callable(self.ttl) else self.ttl
        if seconds == 0.0:
            return
        # None: no ttl, or the callable's "no expiry" (the cache's deadline is inf)
        deadline = None if seconds is None else self.timer.now + seconds
        self.model[key] = (result, deadline)
        if self.maxsize is not None and len(self.model) > self.maxsize:
            self.model.popitem(last=False)

    @initialize(data=st.data())
    def make_cache(self, data: st.DataObject) -> None:
        stale: float | None = None
        if self.freshness:
            self.maxsize = data.draw(FRESH_MAXSIZES, label="maxsize")
            drawn = data.draw(FRESH_TTLS, label="ttl")
            self.ttl = lifetime if drawn is None else drawn
            stale = data.draw(STALES, label="stale")
        else:
            self.maxsize = data.draw(MAXSIZES, label="maxsize")
            self.ttl = data.draw(TTLS, label="ttl")
        self.stale = stale or 0.0
        self.cached = self.make_function(stale)
        if self.freshness:  # start where freshness matters: a result gone stale, hit
            self.call_and_finish(0, data)
            if self.expiring():
                self.call_in_window(0, data.draw(st.sampled_from([0.0, 0.5])), 1, data)

    def make_function(self, stale: float | None) -> Any:
        """Return the cached function: it waits for the machine to end its run."""
        runs, serial = self.runs, self.serial

        @alru_cache(maxsize=self.maxsize, ttl=self.ttl, timer=self.timer, stale=stale)
        async def compute(key: int) -> tuple[int, int]:
            caller = CALLER.get()
            assert caller is not None  # the runner runs in a copy of its context
            run = Run(next(serial), key, caller)
            run.gate = anyio.Event()
            runs.append(run)
            try:
                await run.gate.wait()
            except anyio.get_cancelled_exc_class():
                run.cancelled = True
                raise
            finally:
                run.ended = True
            if run.fail:
                raise Boom(run.serial)
            return (key, run.serial)

        return compute

    async def caller(self, call: Call) -> None:
        """A caller's task, which its computation (if it starts one) knows by context."""
        CALLER.set(call)
        call.scope = anyio.CancelScope()
        with call.scope:
            try:
                call.got = await self.cached(call.key)
            except Boom as exc:
                call.got = exc
            call.done = True
        if not call.done:  # the functions whose finally had run when it left
            call.ended_runs = {run.serial for run in list(self.runs) if run.ended}
            call.got = CANCELLED
            call.done = True

    # Rules

    def start_calls(self, key: int, loop: Loop, size: int = 1) -> list[Call]:
        """Start *size* callers of *key* in *loop* at once; check that they hit,
        joined or started one computation as modelled."""
        calls = [Call(next(self.calls), key, loop) for _ in range(size)]
        self.callers += calls
        before = len(self.runs)
        fresh = self.fresh(key)
        stale = not fresh and self.live(key)
        stored = fresh or stale
        joined = self.registered(key, loop)
        kind = (
            "stored hits" if fresh else "stale hits" if stale else "joins" if joined else "misses"
        )
        if not fresh and not stale and joined and joined[0].background:
            self.stats["joins of refreshes"] += size
        self.hits += size if stored or joined else size - 1
        self.misses += 0 if stored or joined else 1
        if stored:
            self.model.move_to_end(key)  # a hit, fresh or stale, is the most recent use
            for call in calls:
                call.expected = self.model[key][0]
                call.waiting = False

        def start() -> None:
            for call in calls:
                loop.group.start_soon(self.caller, call)

        loop.act(start)
        self.stats["calls"] += size
        self.stats[kind] += size if stored or joined else 1
        self.stats["joins"] += 0 if stored or joined else size - 1
        new_runs = self.runs[before:]
        if stale and not joined:  # one refresh in the background, nobody waits for it
            assert len(new_runs) == 1, f"{calls} started {len(new_runs)} refreshes"
            run = new_runs[0]
            assert (run.key, run.ended) == (key, False)
            assert run.caller in calls, f"{run} started in the context of {run.caller}"
            flight = Computation(run, run.caller)
            flight.waiters = []
            flight.background = True
            self.in_flight.append(flight)
            self.stats["refreshes started"] += 1
            return calls
        if stored or joined:
            assert new_runs == [], f"{calls} started a computation beside {joined}"
            if not stored:  # a stored result comes first, even beside a computation
                joined[0].waiters += calls
            return calls
        assert len(new_runs) == 1, f"{calls} started {len(new_runs)} computations"
        run = new_runs[0]
        assert run.key == key
        assert run.caller in calls, f"{run} started in the context of {run.caller}"
        flight = Computation(run, run.caller)
        flight.waiters = calls  # the first caller, whichever started, and its joiners
        self.in_flight.append(flight)
        return calls

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS, data=st.data())
    def call(self, key: int, data: st.DataObject) -> None:
        self.start_calls(key, data.draw(st.sampled_from(self.loops)))

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS, size=st.integers(min_value=2, max_value=4), data=st.data())
    def calls_at_once(self, key: int, size: int, data: st.DataObject) -> None:
        """Callers of one key that start together share one computation."""
        self.start_calls(key, data.draw(st.sampled_from(self.loops)), size)

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS, data=st.data())
    def call_and_finish(self, key: int, data: st.DataObject) -> None:
        """A call whose computation, if it starts one, returns at once."""
        (call,) = self.start_calls(key, data.draw(st.sampled_from(self.loops)))
        flight = next(
            (
                flight
                for flight in self.in_flight
                if call in flight.waiters or (flight.background and flight.run.caller is call)
            ),
            None,
        )
        if flight is not None:
            self.end(flight, fail=False)

    @precondition(lambda self: any(flight.waiters for flight in self.in_flight))
    @rule(pick=PICKS)
    def cancel(self, pick: int) -> None:
        """A waiting caller is cancelled; if it was the last, so is the computation,
        unless it is a refresh, which nobody's leaving cancels."""
        waiting = [call for flight in self.in_flight for call in flight.waiters]
        call = waiting[pick % len(waiting)]
        flight = next(flight for flight in self.in_flight if call in flight.waiters)
        flight.waiters.remove(call)
        call.expected = CANCELLED
        call.waiting = False
        scope = call.scope
        assert scope is not None
        call.loop.act(scope.cancel)
        run = flight.run
        if flight.waiters or flight.background:
            assert not run.ended, f"{flight} ended when {call} left"
            self.stats["callers left"] += 1
            return
        self.stats["computations cancelled by their last caller"] += 1
        assert (run.cancelled, run.ended) == (True, True), f"{flight} went on after {call} left"
        assert run.serial in call.ended_runs, f"{call} left before {flight} unwound"
        self.in_flight.remove(flight)

    @precondition(lambda self: any(flight.waiters for flight in self.in_flight))
    @rule(pick=PICKS)
    def cancel_all(self, pick: int) -> None:
        """Every caller of a computation is cancelled at once: the computation is,
        unless it is a refresh."""
        waited = [flight for flight in self.in_flight if flight.waiters]
        flight = waited[pick % len(waited)]
        calls, flight.waiters = flight.waiters, []
        for call in calls:
            call.expected = CANCELLED
            call.waiting = False

        def cancel() -> None:
            for call in calls:
                assert call.scope is not None
                call.scope.cancel()

        flight.loop.act(cancel)
        run = flight.run
        if flight.background:
            assert not run.ended, f"{flight} ended when its joiners left"
            self.stats["callers left"] += len(calls)
            return
        assert (run.cancelled, run.ended) == (True, True), f"{flight} went on, its callers gone"
        assert any(run.serial in call.ended_runs for call in calls), f"{flight} never unwound"
        self.in_flight.remove(flight)
        self.stats["computations cancelled by their last caller"] += 1
        self.stats["callers left"] += len(calls) - 1

    def end(self, flight: Computation, *, fail: bool) -> None:
        """Let *flight*'s function return or fail; its callers get what it gave."""
        run = flight.run
        gate = run.gate
        assert gate is not None
        run.fail = fail
        flight.loop.act(gate.set)
        assert (run.ended, run.cancelled) == (True, False), f"{flight} did not end as told"
        self.in_flight.remove(flight)
        what = "refreshes" if flight.background else "computations"
        self.stats[f"{what} {'failed' if fail else 'finished'}"] += 1
        self.stats["callers served"] += len(flight.waiters)
        expected = (Boom, run.serial) if fail else (flight.key, run.serial)
        for call in flight.waiters:
            call.expected = expected
            call.waiting = False
        if not fail and flight.registered:
            self.store(flight.key, (flight.key, run.serial))

    @precondition(lambda self: self.in_flight)
    @rule(pick=PICKS, fail=st.booleans())
    def finish(self, pick: int, fail: bool) -> None:
        self.end(self.in_flight[pick % len(self.in_flight)], fail=fail)

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def invalidate(self, key: int) -> None:
        expected = self.live(key) or bool(self.registered(key))
        assert self.cached.cache_invalidate(key) is expected
        self.model.pop(key, None)
        for flight in self.registered(key):
            flight.registered = False

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS, data=st.data())
    def call_then_invalidate(self, key: int, data: st.DataObject) -> None:
        """A call followed at once by an invalidation leaves a removed entry behind."""
        self.call_and_finish(key, data)
        self.invalidate(key)

    @precondition(lambda self: self.cached is not None)
    @rule()
    def clear(self) -> None:
        self.cached.cache_clear()
        self.model.clear()
        for flight in self.in_flight:
            flight.registered = False
        self.hits = self.misses = 0

    @precondition(lambda self: self.cached is not None)
    @rule(key=KEYS)
    def contains(self, key: int) -> None:
        expected = self.live(key) or bool(self.registered(key))
        assert self.cached.cache_contains(key) is expected

    @precondition(lambda self: self.cached is not None)
    @rule()
    def info(self) -> None:
        registered = [flight for flight in self.in_flight if flight.registered]
        assert self.cached.cache_info() == (
            self.hits,
            self.misses,
            self.maxsize,
            len(self.live_keys()) + len(registered),
        )

    @rule(seconds=DURATIONS)
    def advance(self, seconds: float) -> None:
        self.timer.now += seconds

    def expiring(self) -> list[int]:
        """Return the keys whose stored entry has a deadline and has not expired."""
        return [key for key, found in self.model.items() if found[1] is not None and self.live(key)]

    def move_into_window(self, pick: int, where: float) -> int:
        """Move the clock to a stored entry's deadline, into its stale window, or to
        the window's end (where it expires), unless the clock is past that; return
        the entry's key."""
        keys = self.expiring()
        key = keys[pick % len(keys)]
        deadline = self.model[key][1]
        assert deadline is not None
        self.timer.now = max(self.timer.now, deadline + where * self.stale)
        self.stats[f"clock moved to deadline + {where} window"] += 1
        return key

    @precondition(lambda self: self.freshness and self.expiring())
    @rule(pick=PICKS, where=st.sampled_from([0.0, 0.5, 1.0]))
    def advance_into_window(self, pick: int, where: float) -> None:
        self.move_into_window(pick, where)

    @precondition(lambda self: self.freshness and self.expiring())
    @rule(
        pick=PICKS,
        where=st.sampled_from([0.0, 0.5, 1.0]),
        size=st.integers(min_value=1, max_value=3),
        data=st.data(),
    )
    def call_in_window(self, pick: int, where: float, size: int, data: st.DataObject) -> None:
        """Calls of a key whose entry has just gone stale, or has just expired:
        stale hits and one refresh per run, or joins of the refresh still running."""
        key = self.move_into_window(pick, where)
        self.start_calls(key, data.draw(st.sampled_from(self.loops)), size)

    # Invariants

    @precondition(lambda self: self.cached is not None)
    @invariant()
    def agrees_with_model(self) -> None:
        """Contents, LRU order, deadlines, computations, counters and callers match,
        read without side effects."""
        cached = self.cached
        for key in range(4):
            expected = self.live(key) or bool(self.registered(key))
            assert cached.cache_contains(key) is expected
        store = cached._store
        entries = {
            key: (found, None) if store.ttl is None else (found.value, float(found))
            for key, found in store.entries.items()
            if store.ttl is None or self.timer.now < found + self.stale
        }
        assert list(entries) == self.live_keys()
        for key, (value, deadline) in entries.items():  # a refresh gave a new deadline
            expected_value, expected_deadline = self.model[key]
            assert (value, deadline) == (
                expected_value,
                None if store.ttl is None else expected_deadline or math.inf,
            ), key
        slots = sorted(
            (key, flight.background)
            for key, runs in cached._flights.slots.items()
            for flight in runs.values()
        )
        registered = [flight for flight in self.in_flight if flight.registered]
        assert slots == sorted((flight.key, flight.background) for flight in registered)
        assert cached.cache_parameters()["tasks"] == len(self.in_flight)
        assert sum(not run.ended for run in self.runs) == len(self.in_flight)
        hits = count_of(cached._flights.hits) - cached._hits_cleared
        misses = count_of(cached._flights.misses) - cached._misses_cleared
        assert (hits, misses) == (self.hits, self.misses)
        if self.maxsize is not None:
            assert len(entries) <= self.maxsize
        for call in self.callers:
            assert call.done is not call.waiting, call
            got = (Boom, call.got.args[0]) if isinstance(call.got, Boom) else call.got
            assert not call.done or got == call.expected, (call, call.got, call.expected)


def run_machine(
    backends: tuple[str, ...], examples: int, *, freshness: bool = False
) -> Counter[str]:
    class Machine(CacheModel):
        pass

    Machine.backends = backends
    Machine.freshness = freshness
    Machine.stats = Counter()
    examples = 25 * examples if SOAK else examples
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=100 if SOAK else 40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    what = "with freshness " if freshness else ""
    print(f"{examples} examples {what}in {len(backends)} loops: {dict(Machine.stats)}")
    return Machine.stats


def test_cache_agrees_with_model(anyio_backend: str) -> None:
    """Concurrent calls, cancellations, finishes, invalidations, clears and clock
    moves in one event loop match the model."""
    run_machine((anyio_backend,), 50)


def test_cache_agrees_with_model_across_event_loops() -> None:
    """The same in three event loops at once on one cache: each run's callers share
    that run's computations only, and the counters and contents stay exact."""
    run_machine(("asyncio", "trio", "asyncio"), 30)


def test_cache_with_ttl_callable_and_stale_window_agrees_with_model(anyio_backend: str) -> None:
    """With a ttl callable of the result and a stale window, stale hits, background
    refreshes, their joiners and expiry at deadline + window match the model."""
    stats = run_machine((anyio_backend,), 20, freshness=True)
    # The examples reach what they are meant to check.
    assert stats["stale hits"] > 0
    assert stats["refreshes started"] > 0


def test_cache_with_stale_window_agrees_with_model_across_event_loops() -> None:
    """The same in three event loops at once: each run starts and shares its own
    refresh of a stale entry that all of them see."""
    stats = run_machine(("asyncio", "trio", "asyncio"), 12, freshness=True)
    assert stats["refreshes started"] > 0


@pytest.mark.parametrize("ttl", [0.0, 1e-300])
def test_ttl_too_short_to_store_returns_result(anyio_backend: str, ttl: float) -> None:
    """A ttl that expires the moment a result is stored still returns that result."""
    timer = FakeTimer()

    @alru_cache(ttl=ttl, timer=timer)
    async def double(x: int) -> int:
        return 2 * x

    with start_blocking_portal(anyio_backend) as portal:
        assert portal.call(double, 1) == 2
        assert portal.call(double, 1) == 2
    assert double.cache_info() == (0, 2, 128, 0)
    assert double.cache_parameters()["tasks"] == 0


def test_expired_entry_never_evicts_a_live_one(anyio_backend: str) -> None:
    """Storing into a full cache drops an expired entry before any unexpired one."""
    timer = FakeTimer()
    timer.now = 0.0

    @alru_cache(maxsize=2, ttl=10, timer=timer)
    async def echo(key: str) -> str:
        return key

    with start_blocking_portal(anyio_backend) as portal:
        portal.call(echo, "old")  # deadline 10
        for step in range(1, 4):
            timer.now = step
            portal.call(echo, "gone")
            echo.cache_invalidate("gone")
        timer.now = 4
        portal.call(echo, "live")  # deadline 14
        timer.now = 5
        portal.call(echo, "old")  # a hit: "live" is now least recently used
        timer.now = 11  # "old" has expired, "live" has not
        portal.call(echo, "new")
    assert echo.cache_contains("live")
    assert echo.cache_contains("new")
    assert echo.cache_info() == (1, 6, 2, 2)
