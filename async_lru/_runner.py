"""The one backend seam: which event loop run is executing, and the runner tasks.

A computation runs in a runner task of its own, on the run of its first caller:
on asyncio a Task, started eagerly where Python allows (3.12+), so that a function
that returns without suspending costs no loop iteration; on trio a system task,
since no nursery is at hand. Either runs the function inside a cancel scope that
only the cache cancels, so that shields inside the function hold. This is the only
module that names asyncio's or trio's tasks; the rest asks a ``Backend``.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from asyncio import (  # _get_running_loop: the cheap no-raise check, used deliberately
    CancelledError,
    Task,
    _get_running_loop,  # pyright: ignore[reportPrivateUsage]
    current_task,
)
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from contextvars import copy_context
from typing import Any, Final, Protocol, final

import anyio

# Task(eager_start=True) is new in 3.12 (passed as a dict: the checkers read 3.10's Task).
_EAGER: Final = sys.version_info >= (3, 12)
_EAGER_START: Final[dict[str, Any]] = {"eager_start": True}


class Scope(AbstractContextManager[Any], Protocol):
    """What the runner needs of a cancel scope (anyio's on asyncio, trio's own)."""

    def cancel(self) -> None: ...


class Event(Protocol):
    """What the flights need of an event: anyio's on asyncio, trio's own on trio."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    async def wait(self) -> None: ...


class Backend(ABC):
    """What the flights ask of an event loop library: the same shape on both."""

    __slots__ = ("cancelled",)

    cancelled: type[BaseException]  # what a cancelled task raises

    @abstractmethod
    def new_event(self) -> Event:
        """Return an event bound to the current run."""

    @abstractmethod
    def new_scope(self) -> Scope:
        """Return a cancel scope, to enter in a runner."""
        ...

    @abstractmethod
    def start(
        self,
        run: object,
        eager: bool,
        compute: Callable[..., Coroutine[Any, Any, None]],
        *args: Any,
    ) -> object:
        """Start ``compute(*args)`` in a task of its own on *run*, in a copy of the
        caller's context, and if *eager* and the backend can, run its first step
        at once; return the task."""
        ...

    @abstractmethod
    def watch(self, task: object, ended: Callable[[Any], object]) -> None:
        """Call ``ended(task)`` once *task*, not started yet, has ended, even if
        it ended without running at all."""

    @abstractmethod
    def unwatch(self, task: object, ended: Callable[[Any], object]) -> None:
        """Undo ``watch(task, ended)``, if it was done."""

    @abstractmethod
    def discard(self, task: object) -> None:
        """Let go of *task*, which never started, of a run that ended."""

    @abstractmethod
    def current_task(self) -> object:
        """Return the task executing the caller."""

    @abstractmethod
    async def wait_unwound(self, event: Event) -> None:
        """Wait for *event*, shielded from the caller's own cancellation."""
        ...

    @abstractmethod
    def is_over(self, run: object) -> bool:
        """Return True if the event loop run *run* has ended."""
        ...


@final
class _Asyncio(Backend):
    __slots__ = ("_event_class", "_scope_class")

    _event_class: Callable[[], Event] | None
    _scope_class: Callable[..., Scope] | None

    def __init__(self) -> None:
        self.cancelled = CancelledError
        self._event_class = None
        self._scope_class = None

    def new_event(self) -> Event:
        # anyio.Event() spends most of its microsecond finding the backend: the
        # backend's own class, taken from the first one, costs what asyncio's does.
        event_class = self._event_class
        if event_class is None:
            event_class = self._event_class = type(anyio.Event())
        return event_class()

    def new_scope(self) -> Scope:
        # As with events: anyio's asyncio scope class, without the backend lookup.
        scope_class = self._scope_class
        if scope_class is None:
            scope_class = self._scope_class = type(anyio.CancelScope())
        return scope_class()

    def start(
        self,
        run: object,
        eager: bool,
        compute: Callable[..., Coroutine[Any, Any, None]],
        *args: Any,
    ) -> object:
        loop: Any = run  # an AbstractEventLoop: only asyncio runs come here
        # A Task runs in a copy of the context current when it is made.
        if not _EAGER:
            return loop.create_task(compute(*args))
        if eager:
            return Task(compute(*args), loop=loop, **_EAGER_START)
        return Task(compute(*args), loop=loop)  # not the factory's, which may be eager

    def watch(self, task: object, ended: Callable[[Any], object]) -> None:
        # A Task cancelled before its first step never runs its coroutine.
        runner: Any = task  # a Task
        runner.add_done_callback(ended)

    def unwatch(self, task: object, ended: Callable[[Any], object]) -> None:
        runner: Any = task  # a Task
        runner.remove_done_callback(ended)

    def discard(self, task: object) -> None:
        runner: Any = task  # a Task
        runner.get_coro().close()

    def current_task(self) -> object:
        return current_task()

    async def wait_unwound(self, event: Event) -> None:
        # The shield holds off anyio's cancel scopes, which cancel again at every
        # await; a native Task.cancel() goes through shields, so it is waited out.
        with self.new_scope() as scope:
            scope.shield = True
            while not event.is_set():
                try:
                    await event.wait()
                except CancelledError:
                    continue

    def is_over(self, run: object) -> bool:
        loop: Any = run  # an AbstractEventLoop
        return bool(loop.is_closed())


def _nothing() -> None:
    pass


@final
class _Trio(Backend):
    __slots__ = ("_trio",)

    _trio: Final[Any]  # the trio module, an optional dependency

    def __init__(self, trio: Any) -> None:
        self._trio = trio
        self.cancelled = trio.Cancelled

    def new_event(self) -> Event:
        # trio's own, which anyio's wraps: the first anyio.Event() of a trio run
        # imports anyio's trio backend, a stall of 15 to 70 ms in the first call.
        event: Event = self._trio.Event()
        return event

    def new_scope(self) -> Scope:
        scope: Scope = self._trio.CancelScope()
        return scope

    def start(
        self,
        run: object,
        eager: bool,
        compute: Callable[..., Coroutine[Any, Any, None]],
        *args: Any,
    ) -> object:
        # Never eager: trio runs new tasks in its next batch. A system task, as the
        # cache has no nursery; it must never raise, and the runner does not.
        return self._trio.lowlevel.spawn_system_task(compute, *args, context=copy_context())

    def watch(self, task: object, ended: Callable[[Any], object]) -> None:
        pass  # a trio task always runs: its cancellation comes at a checkpoint

    def unwatch(self, task: object, ended: Callable[[Any], object]) -> None:
        pass

    def discard(self, task: object) -> None:
        pass  # a trio run ends with every task it started ended

    def current_task(self) -> object:
        task: object = self._trio.lowlevel.current_task()
        return task

    async def wait_unwound(self, event: Event) -> None:
        with self._trio.CancelScope(shield=True):
            await event.wait()

    def is_over(self, run: object) -> bool:
        try:
            token: Any = run  # a TrioToken; trio is optional, so not named in types
            token.run_sync_soon(_nothing, idempotent=True)
        except self._trio.RunFinishedError:
            return True
        return False


ASYNCIO: Final = _Asyncio()
_trio_backend: _Trio | None = None


def current_run() -> tuple[object, Backend]:
    """Return an object that identifies the event loop run executing the caller, and
    its backend.

    Cheaper than ``anyio.lowlevel.current_token()``. Trio is asked first: in its
    guest mode an asyncio loop runs in the same thread, and only trio's own marker
    tells which of the two is executing now.
    """
    sniffio = sys.modules.get("sniffio")
    if sniffio is not None and sniffio.thread_local.name == "trio":
        # trio is imported by then; sys.modules is cheaper than an import statement
        global _trio_backend  # noqa: PLW0603  # made once, on the first trio run
        trio = sys.modules["trio"]
        if _trio_backend is None:
            _trio_backend = _Trio(trio)
        token: object = trio.lowlevel.current_trio_token()
        return token, _trio_backend
    loop = _get_running_loop()
    if loop is None:
        raise RuntimeError(
            "an alru_cache function must be awaited in an asyncio or trio event loop"
        )
    return loop, ASYNCIO
