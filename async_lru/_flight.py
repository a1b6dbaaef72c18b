"""In-flight computations: one per key per event loop run, and the miss path.

The first call of a key starts the computation in a runner task of its own (see
``_runner``); every caller, the first included, then waits for its outcome on an
event (anyio's on asyncio, trio's own on trio) that the flight creates only once
somebody has to wait. A caller's cancellation affects that caller only; the last
waiting caller's cancellation cancels the computation and waits for it to unwind.
A call that finds its entry stale is served at once, and starts a refresh in the
background unless one is in flight.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from itertools import count
from typing import Any, Final, cast, final

import anyio

if sys.version_info < (3, 11):  # the backport, which anyio requires below 3.11
    from exceptiongroup import BaseExceptionGroup

from ._runner import Backend, Event, Scope, current_run
from ._store import _MISSING, Store  # pyright: ignore[reportPrivateUsage]  # package-private


@final
class CacheClosedError(RuntimeError, anyio.ClosedResourceError):
    """Raised by a call to a cache that ``cache_close()`` has closed, and by the
    calls whose computation it stopped.

    It is a :exc:`RuntimeError`, which async-lru raises for a call after close, and
    an :exc:`anyio.ClosedResourceError`."""


# Flight states
_PENDING: Final = 0
_DONE: Final = 1
_FAILED: Final = 2
_STOPPED: Final = 3  # cancelled by the cache: closed, or left by its last caller

# Why the cache stopped a computation
_CLOSE: Final = 1
_ABANDON: Final = 2

_NO_VALUE: Final[Any] = object()  # the function did not return: the scope absorbed a stop

# An eager start runs the function in its caller's frame stack, so a recursive
# cached function nests one level per call; beyond this depth a runner starts on
# the loop's next iteration instead, with a fresh stack.
_MAX_EAGER_NESTING: Final = 40


@final
class Flight:
    """One computation in flight, joinable from the event loop run that owns it."""

    __slots__ = (
        "__weakref__",
        "backend",
        "background",
        "blocked_on",
        "depth",
        "event",
        "flights",
        "key",
        "outcome",
        "run",
        "scope",
        "starting",
        "state",
        "stop_reason",
        "task",
        "tasks_blocked_on",
        "waiters",
    )

    flights: Final[Flights]
    key: Final[Hashable]
    run: Final[object]
    backend: Final[Backend]
    state: int
    outcome: Any
    event: Event | None
    waiters: int
    scope: Scope | None
    stop_reason: int
    task: object
    blocked_on: list[Flight] | None
    tasks_blocked_on: list[Flight] | None
    starting: bool
    depth: int
    background: bool

    def __init__(self, flights: Flights, key: Hashable, run: object, backend: Backend) -> None:
        self.flights = flights
        self.key = key
        self.run = run
        self.backend = backend
        self.state = _PENDING
        self.outcome = None  # the value, or the exception and its traceback
        self.event = None  # created once somebody has to wait
        self.waiters = 0  # callers waiting now
        self.scope = None  # entered by the runner
        self.stop_reason = 0  # _CLOSE or _ABANDON once the cache stops it
        self.task = None  # the runner, kept alive as the loop keeps it weakly
        self.blocked_on = None  # flights its function waits for
        self.tasks_blocked_on = None  # ...and tasks it started
        self.starting = False  # in its runner's eager first step
        self.depth = 0  # eager starts it is nested in
        self.background = False  # a refresh of a stale entry: never left by its callers

    def live(self) -> bool:
        """Return False if the run that owns this flight has ended without it."""
        return self.state == _PENDING and not self.backend.is_over(self.run)

    def runs_here(self, backend: Backend) -> bool:
        """Return True if the current task is this computation's runner."""
        return self.state == _PENDING and self.task is backend.current_task()

    def runner_ended(self, task: object) -> None:
        """Settle the flight if its runner ended without running: an asyncio Task
        cancelled before its first step never enters the runner's coroutine."""
        if self.state == _PENDING:
            self.flights.end(self, _NO_VALUE, self.backend.cancelled())

    def stop(self, reason: int) -> None:
        """Cancel the computation through its scope, for *reason*."""
        if self.state != _PENDING or self.stop_reason:
            return
        self.stop_reason = reason
        if self.scope is not None:
            self.scope.cancel()
        # else the runner has not started yet, and will not call the function

    def settle(self, state: int, outcome: Any) -> None:
        self.state = state
        self.outcome = outcome
        if self.event is not None:
            self.event.set()

    async def finished(self) -> None:
        """Wait, in the flight's own run, until the computation has ended; the
        event is created here, once somebody has to wait."""
        if self.state == _PENDING:
            if self.event is None:
                self.event = self.backend.new_event()
            await self.event.wait()

    def result(self) -> Any:
        """Return what a caller of the ended computation gets, or raise it."""
        state = self.state
        if state == _DONE:
            return self.outcome
        if state == _FAILED:
            error, traceback = self.outcome
            # From the function's own traceback, as a Future does, so that each
            # caller does not add its frames to the next one's.
            raise error.with_traceback(traceback)
        raise self.flights.closed_error()


# The computation whose runner set it. Tasks that the function starts inherit it,
# so a call checks that it is made in the runner itself (Flight.runs_here) before
# taking a wait for that computation's own: a task the function starts may well be
# one that it never waits for.
_computing: ContextVar[Flight | None] = ContextVar("alru_cache_computing", default=None)


def _without_cancellation(
    error: BaseException, cancelled: type[BaseException]
) -> BaseException | None:
    """Return *error* without its cancellations (a group keeps its other errors), or
    None if it is nothing but cancellation (trio's nurseries group them)."""
    if isinstance(error, BaseExceptionGroup):
        group = cast("BaseExceptionGroup[BaseException]", error)  # its leaves are unknown
        return group.split(cancelled)[1]
    return None if isinstance(error, cancelled) else error


def _forget_ended_runs(runs: dict[object, Flight]) -> int:
    """Remove from *runs* the flights of runs that ended (their loop was closed
    with the computation pending); return how many are left."""
    for run, flight in list(runs.items()):
        if not flight.live():
            del runs[run]
            if flight.scope is None and flight.task is not None:
                # Its runner never started: let go of the coroutine that will never
                # run, or its collection warns that it was never awaited.
                flight.backend.discard(flight.task)
    return len(runs)


def _name(fn: object) -> str:
    """Return how error messages name the cached function *fn*."""
    name = getattr(fn, "__qualname__", None)
    return repr(fn) if name is None else f"{name}()"


def _waits_for(
    flight: Flight, target: Flight, *, through_tasks: bool = False
) -> list[Flight] | None:
    """Return the chain of flights from *flight* to *target* along what each one's
    function waits for (and with *through_tasks*, the tasks it started), or None if
    *flight* does not wait for *target*."""
    chains = [[flight]]
    seen: set[int] = set()
    while chains:
        chain = chains.pop()
        last = chain[-1]
        if last is target:
            return chain
        if id(last) in seen:
            continue
        seen.add(id(last))
        chains.extend([*chain, blocked] for blocked in last.blocked_on or ())
        if through_tasks:
            chains.extend([*chain, blocked] for blocked in last.tasks_blocked_on or ())
    return None


@final
class Flights:
    """The in-flight computations of one cache, by key and run, and the miss path."""

    __slots__ = (
        "closed",
        "count_hit",
        "count_miss",
        "detached",
        "fn",
        "hits",
        "lock",
        "misses",
        "slots",
        "store",
    )

    fn: Final[Callable[..., Awaitable[Any]]]
    store: Final[Store]
    slots: Final[dict[Hashable, dict[object, Flight]]]
    detached: Final[weakref.WeakSet[Flight]]
    lock: Final[threading.Lock]
    hits: Final[count[int]]
    misses: Final[count[int]]
    count_hit: Final[Callable[[], int]]
    count_miss: Final[Callable[[], int]]
    closed: bool

    def __init__(self, fn: Callable[..., Awaitable[Any]], store: Store) -> None:
        self.fn = fn
        self.store = store
        # key -> run -> its flight: at most one per key per run
        self.slots = {}
        # Computations invalidated, cleared or left by their callers while running:
        # close() still stops them and they count as tasks until they end. Weak, as
        # the computation of a loop that was closed never ends.
        self.detached = weakref.WeakSet()
        # Guards `slots`, `detached` and the store's writes against other threads'
        # runs; never held across an await, nor while a runner starts.
        self.lock = threading.Lock()
        # Exact without a lock: count.__next__ is one atomic call under the GIL.
        self.hits = count()
        self.misses = count()
        self.count_hit = self.hits.__next__
        self.count_miss = self.misses.__next__
        self.closed = False

    def closed_error(self) -> CacheClosedError:
        """Return the error for a call that the closed cache refuses."""
        return CacheClosedError(f"alru_cache is closed for {self.fn!r}")

    async def miss(self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Handle a call whose result is not stored: start a computation or join the
        one of this run, and wait for its outcome."""
        if self.closed:
            raise self.closed_error()
        run, backend = current_run()
        flight, leading, stale = self._enter(key, run, backend)
        computing = _computing.get()
        if stale is not _MISSING:
            return self._serve_stale(stale, flight, leading, computing, args, kwargs)
        if leading:
            self.count_miss()
        else:
            self.count_hit()
        blocked_on = None
        if computing is not None and computing.state == _PENDING:
            # Recorded before an eager start, whose first step may already look.
            blocked_on = self._block(computing, flight, computing.runs_here(backend))
        try:
            if leading:
                self._start(flight, computing, args, kwargs)
                if flight.state != _PENDING:  # an eager start that returned at once
                    return flight.result()
            # Every caller waits here, the first included; the last one to be
            # cancelled stops the computation.
            flight.waiters += 1
            try:
                await flight.finished()
            except BaseException as exc:
                flight.waiters -= 1
                if flight.waiters == 0 and flight.state == _PENDING and not flight.background:
                    await self._abandon(flight, exc)
                raise
            flight.waiters -= 1
            return flight.result()
        finally:
            if blocked_on is not None:
                blocked_on.remove(flight)

    def _serve_stale(
        self,
        stale: Any,
        flight: Flight,
        leading: bool,
        computing: Flight | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Return the *stale* value at once, as a hit; start its refresh *flight* in
        the background if it is new (*leading*)."""
        self.count_hit()
        if leading:
            # Not eager: the stale caller must not run the refresh's first step.
            self._start(flight, computing, args, kwargs, eager=False)
        return stale

    def _start(
        self,
        flight: Flight,
        computing: Flight | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        eager: bool = True,
    ) -> None:
        """Start *flight*'s runner, from a caller inside *computing* if not None;
        eagerly where the backend can, unless *eager* is false."""
        # A caller inside a computation still in its eager first step: this start
        # would nest in the same frame stack.
        if computing is not None and computing.starting:
            flight.depth = computing.depth + 1
        backend = flight.backend
        flight.starting = True
        try:
            task = backend.start(
                flight.run,
                eager and flight.depth < _MAX_EAGER_NESTING,
                self._compute,
                flight,
                args,
                kwargs,
            )
        finally:
            flight.starting = False
        if flight.state == _PENDING:  # else an eager start that returned at once
            flight.task = task
            if flight.scope is None:  # not started yet
                backend.watch(task, flight.runner_ended)

    def _enter(self, key: Hashable, run: object, backend: Backend) -> tuple[Flight, bool, Any]:
        """Return this run's flight of *key*, or a new one, whether it is new, and
        the stored value if it is stale (else _MISSING): then nobody waits for the
        flight, a refresh in the background if it is new."""
        store = self.store
        with self.lock:
            stale = _MISSING
            if store.ttl is not None:
                stale = store.drop_expired(key, store.timer())
            runs = self.slots.get(key)
            flight = None if runs is None else runs.get(run)
            if flight is not None:
                return flight, False, stale
            flight = Flight(self, key, run, backend)
            flight.background = stale is not _MISSING
            if runs is None:
                self.slots[key] = {run: flight}
            else:
                _forget_ended_runs(runs)
                runs[run] = flight
            return flight, True, stale

    def _block(self, computing: Flight, flight: Flight, own_task: bool) -> list[Flight]:
        """Record that the computation *computing* waits for *flight*, in its runner
        (*own_task*) or in a task it started; in its runner, refuse to if *flight*
        waits for it. Return the list to remove *flight* from when the wait ends."""
        if own_task:
            self._refuse_self_wait(computing, flight)
            blocked_on = computing.blocked_on
            if blocked_on is None:
                blocked_on = computing.blocked_on = []
        else:
            blocked_on = computing.tasks_blocked_on
            if blocked_on is None:
                blocked_on = computing.tasks_blocked_on = []
        blocked_on.append(flight)
        return blocked_on

    async def _abandon(self, flight: Flight, exc: BaseException) -> None:
        """Stop *flight*, whose last caller is leaving with *exc*, and unless that
        caller's coroutine is being closed, wait for the computation to unwind;
        raise what the function raised while unwinding, if anything."""
        if isinstance(exc, GeneratorExit) and flight.backend.is_over(flight.run):
            return  # the run is gone: its runner will never resume
        with self.lock:
            self._release(flight)
            self.detached.add(flight)  # a task until it has unwound
        flight.stop(_ABANDON)
        # A caller in a task that the computation (or one it waits for) started
        # would wait for itself: the computation unwinds only once that task ends.
        computing = _computing.get()
        if computing is not None and _waits_for(flight, computing, through_tasks=True):
            return
        if not isinstance(exc, GeneratorExit):  # a closing coroutine cannot await
            assert flight.event is not None  # the caller waited on it
            await flight.backend.wait_unwound(flight.event)
            if flight.state == _STOPPED and flight.outcome is not None:
                error, traceback = flight.outcome
                raise error.with_traceback(traceback)  # in the context of *exc*

    def _refuse_self_wait(self, computing: Flight, flight: Flight) -> None:
        """Raise RuntimeError if the computation *computing* would wait for *flight*
        while *flight* waits for it."""
        chain = _waits_for(flight, computing)
        if chain is None:
            return
        if len(chain) == 1:
            raise RuntimeError(
                f"alru_cache function {_name(self.fn)} called itself with the same"
                " arguments while computing them: it would wait for itself"
            )
        through = ", which waits for ".join(_name(each.flights.fn) for each in chain)
        raise RuntimeError(
            f"alru_cache function {_name(computing.flights.fn)} would wait for itself:"
            f" it waits for {through}"
        )

    async def _compute(self, flight: Flight, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """The runner: call the function in a cancel scope that only the cache
        cancels, and settle the flight with its outcome. Never raises."""
        _computing.set(flight)  # in the runner's own copy of the caller's context
        if flight.task is None:  # an eager start: start() has not returned it yet
            flight.task = flight.backend.current_task()
        value = _NO_VALUE
        if not flight.stop_reason:  # else stopped before it started
            scope = flight.scope = flight.backend.new_scope()
            try:
                with scope:
                    value = await self.fn(*args, **kwargs)
            except BaseException as exc:  # every outcome goes to the callers
                self.end(flight, value, exc)
                return
        self.end(flight, value, None)

    def end(self, flight: Flight, value: Any, error: BaseException | None) -> None:
        """Settle *flight* with the function's *value* or *error*, storing the value
        if the computation is still that of its key."""
        task = flight.task
        if task is not None:
            # No cycle through the runner's context, and no callback left to keep
            # the flight and its outcome alive once its callers have them.
            flight.task = None
            flight.backend.unwatch(task, flight.runner_ended)
        if isinstance(error, GeneratorExit) and flight.backend.is_over(flight.run):
            # The runner of a closed loop is being collected: no caller is left,
            # and no lock may be taken here, where any allocation may have led.
            flight.state = _STOPPED
            return
        store = self.store
        try:
            seconds = None
            if error is None and not flight.stop_reason and store.ttl is not None:
                seconds = store.lifetime(value)  # a ttl callable runs with no lock held
            with self.lock:
                current = self._release(flight)
                if current and not flight.stop_reason and error is None:
                    store.put(flight.key, value, seconds)
        except BaseException as exc:  # a ttl or timer that raises: nobody may hang
            with self.lock:
                self._release(flight)
            error = exc
        if flight.stop_reason:
            # An error raised while it unwound (a finally that fails) is what the
            # last caller, who waits for the unwinding, raises instead of its
            # cancellation, as it would had it run the function itself.
            unwound = (
                None if error is None else _without_cancellation(error, flight.backend.cancelled)
            )
            flight.settle(_STOPPED, None if unwound is None else (unwound, unwound.__traceback__))
        elif error is None:
            flight.settle(_DONE, value)
        else:
            shared = _without_cancellation(error, flight.backend.cancelled)
            if shared is None or isinstance(error, GeneratorExit):
                # Nobody cancelled it: the function's own failure, which must not
                # reach its callers as a cancellation of theirs.
                shared = RuntimeError(
                    f"alru_cache function {_name(self.fn)} ended with"
                    f" {type(error).__name__}, although neither its callers nor the"
                    " cache cancelled it"
                )
                shared.__cause__ = error
            flight.settle(_FAILED, (shared, shared.__traceback__))

    def _release(self, flight: Flight) -> bool:
        """Forget the ended computation *flight*, under the lock; return whether it
        was still the computation of its key (whose result may be stored)."""
        runs = self.slots.get(flight.key)
        if runs is not None and runs.get(flight.run) is flight:
            del runs[flight.run]
            if not runs:
                del self.slots[flight.key]
            return True
        self.detached.discard(flight)
        return False

    def detach(self, key: Hashable) -> bool:
        """Take the computations of *key* from under it, under the lock; return
        whether there was one."""
        runs = self.slots.pop(key, None)
        if runs is None or not _forget_ended_runs(runs):
            return False
        self.detached.update(runs.values())
        return True

    def detach_all(self) -> None:
        """Take every computation from under its key, under the lock."""
        for runs in self.slots.values():
            _forget_ended_runs(runs)
            self.detached.update(runs.values())
        self.slots.clear()

    def _registered(self) -> Iterator[Flight]:
        for runs in self.slots.values():
            yield from runs.values()

    def in_flight(self) -> int:
        """Return the number of computations under a key, in live runs, under the
        lock; forget those of runs that ended."""
        for key, runs in list(self.slots.items()):
            if not _forget_ended_runs(runs):
                del self.slots[key]
        return sum(len(runs) for runs in self.slots.values())

    def in_flight_for(self, key: Hashable) -> bool:
        """Return True if *key* has a computation in a live run."""
        with self.lock:
            runs = self.slots.get(key)
            flights = () if runs is None else tuple(runs.values())
        return any(flight.live() for flight in flights)

    def tasks(self) -> int:
        """Return the number of computations in flight in live runs, detached ones
        included."""
        with self.lock:
            flights = [*self._registered(), *self.detached]
        return sum(flight.live() for flight in flights)

    async def close(self, *, wait: bool, refuse_hits: Callable[[], None]) -> None:
        """Refuse new calls, stop (or with *wait*, await) this run's computations;
        *refuse_hits* makes the wrapper's hits refuse too.

        Raises RuntimeError, and closes nothing, if it would wait for the
        computation that calls it.
        """
        run, backend = current_run()
        with self.lock:
            own = [flight for flight in (*self._registered(), *self.detached) if flight.run is run]
        # The computations that wait for the one calling close() (or for a task it
        # started, which may be calling): their stop reaches them once it goes on,
        # and waiting for them could only hang.
        computing = _computing.get()
        waiting: list[Flight] = []
        if computing is not None and computing.state == _PENDING:
            in_runner = computing.runs_here(backend)
            waiting = [
                flight
                for flight in own
                if _waits_for(flight, computing, through_tasks=not in_runner) is not None
            ]
            if wait and waiting and in_runner:
                raise RuntimeError(
                    f"cache_close(wait=True) of {_name(self.fn)}, called while computing"
                    f" {_name(computing.flights.fn)}, would wait for itself"
                )
        self.closed = True
        refuse_hits()
        if not wait:
            for flight in own:
                flight.stop(_CLOSE)
        for flight in own:
            if flight not in waiting:
                await flight.finished()
