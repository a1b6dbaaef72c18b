"""In-flight computations: one leader runs the function, joiners wait for it.

No task is ever spawned. The first caller of a key (the leader) runs the function
in its own task; equal calls from the same event loop run (the joiners) wait on an
anyio Event that the slot creates only once someone joins. If the leader is
cancelled, the joiners wake up and one of them runs the function again.
"""

from __future__ import annotations

import sys
import threading
import weakref
from asyncio import (  # _get_running_loop: the cheap no-raise check, used deliberately
    AbstractEventLoop,
    CancelledError,
    _get_running_loop,  # pyright: ignore[reportPrivateUsage]
    current_task,
)
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractContextManager
from itertools import count
from typing import Any, Final, cast, final

import anyio

if sys.version_info < (3, 11):  # the backport, which anyio requires below 3.11
    from exceptiongroup import BaseExceptionGroup

from ._store import _MISSING, Store  # pyright: ignore[reportPrivateUsage]  # package-private


@final
class CacheClosedError(RuntimeError, anyio.ClosedResourceError):
    """Raised by a call to a cache that ``cache_close()`` has closed, and by the
    calls whose computation it stopped."""


# Slot states
_PENDING: Final = 0
_DONE: Final = 1
_FAILED: Final = 2
_HANDED_OVER: Final = 3  # the leader was cancelled: a joiner runs the function again
_CLOSED: Final = 4  # cache_close() stopped the computation


@final
class Slot:
    """One in-flight computation, joinable from the event loop run that owns it."""

    __slots__ = ("__weakref__", "event", "outcome", "run", "state", "stop", "stopping")

    def __init__(self, run: object) -> None:
        self.run = run
        self.state = _PENDING
        self.outcome: Any = None  # the value, or the exception and its traceback
        self.event: anyio.Event | None = None  # created by the first joiner
        self.stop: Callable[[], object] | None = None  # stops the leader's call
        self.stopping = False  # set by cache_close(wait=False)

    async def settled(self) -> None:
        """Wait, in the slot's own run, until the computation has an outcome."""
        if self.state == _PENDING:
            if self.event is None:
                self.event = anyio.Event()
            await self.event.wait()

    def settle(self, state: int, outcome: Any) -> None:
        self.state = state
        self.outcome = outcome
        if self.event is not None:
            self.event.set()

    def fail(self, error: BaseException) -> None:
        # Every joiner raises the error again from the leader's traceback, as a
        # Future does, so that each does not add its frames to the next one's.
        self.settle(_FAILED, (error, error.__traceback__))


def current_run() -> object:
    """Return an object that identifies the event loop run executing the caller.

    Cheaper than ``anyio.lowlevel.current_token()``. Trio is asked first: in its
    guest mode an asyncio loop runs in the same thread, and only trio's own marker
    tells which of the two is executing now.
    """
    sniffio = sys.modules.get("sniffio")
    if sniffio is not None and sniffio.thread_local.name == "trio":
        # trio is imported by then; sys.modules is cheaper than an import statement
        token: object = sys.modules["trio"].lowlevel.current_trio_token()
        return token
    loop = _get_running_loop()
    if loop is None:
        raise RuntimeError(
            "an alru_cache function must be awaited in an asyncio or trio event loop"
        )
    return loop


def _without_cancellation(
    error: BaseException, cancelled: type[BaseException]
) -> BaseException | None:
    """Return *error* without its cancellations (a group keeps its other errors), or
    None if it is nothing but cancellation (trio's nurseries group them)."""
    if isinstance(error, BaseExceptionGroup):
        group = cast("BaseExceptionGroup[BaseException]", error)  # its leaves are unknown
        return group.split(cancelled)[1]
    return None if isinstance(error, cancelled) else error


_STOPPED: Final[Any] = object()
_TAKE_OVER: Final[Any] = object()  # a joiner's leader was cancelled: lead instead

# Task.uncancel() (Python 3.11+) tells close's cancel request from any other.
_UNCANCEL: Final = sys.version_info >= (3, 11)


@final
class _TaskStop:
    """A block in which ``slot.stop()`` cancels the leader's own task (asyncio, 3.11+).

    On leaving it after close() asked for a stop, the request is withdrawn and the
    cancellation it caused absorbed, unless another one is pending: the caller's own
    cancellation always goes through. A cancel scope would cost thousands of
    nanoseconds per miss; the task's own cancel and uncancel, as anyio uses them, cost
    nearly nothing.
    """

    __slots__ = ("slot", "task")

    task: Any  # an asyncio.Task; typed loosely as uncancel() is new in 3.11

    def __init__(self, slot: Slot) -> None:
        task = current_task()
        assert task is not None
        self.slot = slot
        self.task = task
        slot.stop = task.cancel

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> bool:
        if not self.slot.stopping:
            return False
        remaining: int = self.task.uncancel()
        return remaining == 0 and exc_type is not None and issubclass(exc_type, CancelledError)


def _stoppable(slot: Slot, on_asyncio: bool) -> AbstractContextManager[Any]:
    """Return the block in which the leader calls the function, ``slot.stop()``
    stopping the call; the block absorbs the cancellation that stop causes."""
    if on_asyncio and _UNCANCEL:
        return _TaskStop(slot)
    # A cancel scope: trio's own, or anyio's on Python 3.10, whose tasks cannot
    # tell close's cancellation from their own.
    scope = anyio.CancelScope() if on_asyncio else sys.modules["trio"].CancelScope()
    slot.stop = scope.cancel
    return scope


@final
class Flights:
    """The in-flight computations of one cache, by key, and the miss path."""

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

    def __init__(self, fn: Callable[..., Awaitable[Any]], store: Store) -> None:
        self.fn = fn
        self.store = store
        self.slots: dict[Hashable, Slot] = {}
        # Computations invalidated or cleared while in flight: close() still stops
        # them and they count as tasks until they end. Weak, as the computation of a
        # loop that stopped never ends.
        self.detached: weakref.WeakSet[Slot] = weakref.WeakSet()
        # Guards `slots` and the store's writes against other threads' runs; never
        # held across an await.
        self.lock = threading.Lock()
        # Exact without a lock: count.__next__ is one atomic call under the GIL.
        self.hits = count()
        self.misses = count()
        self.count_hit = self.hits.__next__
        self.count_miss = self.misses.__next__
        self.closed = False

    async def miss(self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Handle a call whose result is not stored: lead a computation or join one.

        The leader's call is made here rather than in a coroutine of its own, and the
        rest is left to plain methods, so that a recursive cached function takes as
        few frames per level as it can.
        """
        if self.closed:
            raise self.closed_error()
        run = current_run()
        slot, leading = self._enter(key, run)
        if leading:
            self.count_miss()
        else:
            self.count_hit()  # a joiner that takes over stays counted as this hit
            while not leading:
                await slot.settled()
                outcome = self._joined(slot)
                if outcome is not _TAKE_OVER:
                    return outcome
                with self.lock:  # a joiner that took over first may have stored already
                    stored = self.store.get(key)
                if stored is not _MISSING:
                    return stored
                slot, leading = self._enter(key, run)
        on_asyncio = isinstance(run, AbstractEventLoop)
        value = _STOPPED  # unless the call returns: the block absorbed close's stop
        try:
            with _stoppable(slot, on_asyncio):
                value = await self.fn(*args, **kwargs)
        except BaseException as exc:
            self._unregister(key, slot)
            # A cancelled leader hands the work over; any other error is shared,
            # without the leader's cancellation.
            cancelled = CancelledError if on_asyncio else sys.modules["trio"].Cancelled
            shared = _without_cancellation(exc, cancelled)
            if shared is None:
                slot.settle(_HANDED_OVER, None)
            else:
                slot.fail(shared)
            raise
        return self._deliver(key, slot, value)

    def closed_error(self) -> CacheClosedError:
        """Return the error for a call that the closed cache refuses."""
        return CacheClosedError(f"alru_cache is closed for {self.fn!r}")

    def _enter(self, key: Hashable, run: object) -> tuple[Slot, bool]:
        """Return the slot of *key* to join, or a new one to lead, and whether to lead."""
        store = self.store
        with self.lock:
            if store.ttl is not None:
                store.drop_expired(key, store.timer())
            slot = self.slots.get(key)
            if slot is not None and slot.run is run:
                return slot, False
            # A slot of another run is never awaited: it is replaced, and its leader,
            # no longer registered, delivers to its own joiners only.
            slot = self.slots[key] = Slot(run)
            return slot, True

    def _joined(self, slot: Slot) -> Any:
        """Return what a joiner of the settled *slot* gets, or _TAKE_OVER."""
        state = slot.state
        if state == _DONE:
            return slot.outcome
        if state == _FAILED:
            error, traceback = slot.outcome
            raise error.with_traceback(traceback)
        if state != _HANDED_OVER or self.closed:
            raise self.closed_error()
        return _TAKE_OVER

    def _deliver(self, key: Hashable, slot: Slot, value: Any) -> Any:
        """Store and share the leader's *value*, unless close() stopped the call."""
        if value is _STOPPED or slot.stopping:
            self._unregister(key, slot)
            slot.settle(_CLOSED, None)
            raise self.closed_error()
        try:
            with self.lock:
                if self._release(key, slot):
                    self.store.put(key, value)
        except BaseException as exc:  # a user timer that raises: nobody may hang on it
            slot.fail(exc)
            raise
        slot.settle(_DONE, value)
        return value

    def _unregister(self, key: Hashable, slot: Slot) -> None:
        with self.lock:
            self._release(key, slot)

    def _release(self, key: Hashable, slot: Slot) -> bool:
        """Forget the ended computation *slot*, under the lock; return whether it was
        still the computation of *key* (whose result may be stored)."""
        if self.slots.get(key) is slot:
            del self.slots[key]
            return True
        self.detached.discard(slot)
        return False

    def detach(self, key: Hashable) -> bool:
        """Take the computation of *key* from under its key, under the lock; return
        whether there was one."""
        slot = self.slots.pop(key, None)
        if slot is None:
            return False
        self.detached.add(slot)
        return True

    def detach_all(self) -> None:
        """Take every computation from under its key, under the lock."""
        self.detached.update(self.slots.values())
        self.slots.clear()

    def tasks(self) -> int:
        """Return the number of computations in flight, detached ones included."""
        with self.lock:
            return len(self.slots) + len(self.detached)

    async def close(self, *, wait: bool) -> None:
        """Refuse new calls, stop (or with *wait*, await) this run's computations."""
        self.closed = True
        run = current_run()
        with self.lock:
            own = [slot for slot in (*self.slots.values(), *self.detached) if slot.run is run]
        if not wait:
            for slot in own:
                # A slot already stopping was stopped by an earlier close(): on asyncio
                # a second stop would be a second cancel, which the leader keeps.
                if slot.state == _PENDING and not slot.stopping and slot.stop is not None:
                    slot.stopping = True
                    slot.stop()
        for slot in own:
            await slot.settled()
