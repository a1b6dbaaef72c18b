"""The decorator, its parameter checks, the cache wrapper and its bound-method form."""

from __future__ import annotations

import functools
import inspect
import time
import warnings
from collections.abc import Callable, Coroutine, Hashable
from functools import (  # _CacheInfo: what functools' cache_info() returns, as in async-lru
    _CacheInfo,  # pyright: ignore[reportPrivateUsage]
    partial,
    partialmethod,
)
from itertools import count
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    NoReturn,
    TypedDict,
    TypeVar,
    cast,
    final,
    overload,
)

from ._flight import Flights
from ._store import _MISSING, Store, check_seconds  # pyright: ignore[reportPrivateUsage]  # package-private

if TYPE_CHECKING:
    from typing import Concatenate, Protocol

    from typing_extensions import ParamSpec, Self

    _P = ParamSpec("_P")
    _Q = ParamSpec("_Q")  # a bound method's parameters: _P without the instance
else:
    _P = TypeVar("_P")

_R = TypeVar("_R")
_T = TypeVar("_T")


@final
class AlruCacheLoopResetWarning(UserWarning):
    """Kept for compatibility with async-lru: this cache never resets on a change of
    event loop, so the warning is never emitted."""


@final
class CacheParameters(TypedDict):
    """What ``cache_parameters()`` returns."""

    maxsize: int | None
    typed: bool
    tasks: int
    closed: bool


# Separates positional from keyword arguments in a key, as functools does.
_KWD_MARK: Final = (object(),)
# A single argument of these types is its own key: their equality never mixes types.
_FAST_TYPES: Final = frozenset({int, str})
_NO_ARG: Final[Any] = object()  # no positional argument at all


def make_key(args: tuple[object, ...], kwargs: dict[str, object], typed: bool) -> Hashable:
    """Build the key of a call the way ``functools.lru_cache`` does."""
    key = args
    if kwargs:
        key += _KWD_MARK
        for item in kwargs.items():
            key += item
    if typed:
        key += tuple(type(arg) for arg in args)
        if kwargs:
            key += tuple(type(value) for value in kwargs.values())
    elif len(key) == 1 and type(key[0]) in _FAST_TYPES:
        fast_key: Hashable = key[0]
        return fast_key
    return key


def _count_of(counter: count[int]) -> int:
    # itertools.count has no getter; its repr is "count(N)".
    return int(repr(counter)[6:-1])


if TYPE_CHECKING:
    # What the type checkers see of the partial base: a constructor only. Its func,
    # args and __call__ are declared on each wrapper with their precise types.
    class _Partial:
        __slots__ = ()

        def __new__(cls, func: Callable[..., Any], /, *args: Any) -> Self: ...

else:
    # Both wrappers are functools.partial objects around the hit-path closure:
    # calling one goes through C straight into the closure (the bound form with the
    # instance as first argument), with no Python-level __call__ in between, and
    # inspect sees the closure's coroutine function through them.
    _Partial = partial


class _LRUCacheWrapper(_Partial, Generic[_P, _R]):
    """An ``async def`` function with a least-recently-used cache of its results."""

    __slots__ = (
        "_annotations",
        "_flights",
        "_hits_cleared",
        "_key_of",
        "_misses_cleared",
        "_refuse_hits",
        "_store",
        "_typed",
    )

    __wrapped__: Callable[_P, Coroutine[Any, Any, _R]]
    _annotations: dict[str, Any] | None  # set by update_wrapper(), through __annotations__
    _flights: Flights
    _hits_cleared: int
    _key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable]
    _misses_cleared: int
    _refuse_hits: Callable[[], None]
    _store: Store
    _typed: bool

    def __new__(
        cls,
        fn: Callable[_P, Coroutine[Any, Any, _R]],
        store: Store,
        flights: Flights,
        key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable],
        typed: bool,
        plain_keys: bool,
    ) -> Self:
        call, refuse_hits = _make_call(store, flights, key_of, plain_keys)
        self = super().__new__(cls, call)
        self._refuse_hits = refuse_hits
        self._annotations = None
        self._store = store
        self._flights = flights
        self._hits_cleared = 0
        self._misses_cleared = 0
        self._key_of = key_of
        self._typed = typed
        functools.update_wrapper(self, fn)
        return self

    def __repr__(self) -> str:
        return f"<alru_cache wrapper of {self.__wrapped__!r}>"

    def __reduce__(self) -> str:
        # Pickled by name, as functools.lru_cache's wrappers are: the closure it calls
        # cannot be pickled, the module-level name can.
        return self.__qualname__

    if not TYPE_CHECKING:  # the checkers know __annotations__ as a plain attribute
        # The function's annotations, as update_wrapper() sets them or else read from
        # it: the class body's own (its attribute declarations above) must not show
        # through, and a wrapped partial, which has none, raises AttributeError.

        @property
        def __annotations__(self) -> dict[str, Any]:
            own = self._annotations
            return self.__wrapped__.__annotations__ if own is None else own

        @__annotations__.setter
        def __annotations__(self, value: dict[str, Any]) -> None:
            self._annotations = value

    if TYPE_CHECKING:
        func: Callable[..., Coroutine[Any, Any, _R]]
        __name__: str
        __qualname__: str

        def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> Coroutine[Any, Any, _R]: ...

    def cache_info(self) -> _CacheInfo:
        """Return hits, misses, maxsize and currsize (stored unexpired results plus
        in-flight computations) as a ``functools._CacheInfo``; reclaims every expired
        entry."""
        flights = self._flights
        with flights.lock:
            self._store.reclaim_all()
            currsize = len(self._store.entries) + flights.in_flight()
        return _CacheInfo(
            _count_of(self._flights.hits) - self._hits_cleared,
            _count_of(self._flights.misses) - self._misses_cleared,
            self._store.maxsize,
            currsize,
        )

    def cache_parameters(self) -> CacheParameters:
        """Return the cache's maxsize and typed flag, the number of in-flight
        computations (``tasks``) and whether it is closed."""
        return CacheParameters(
            maxsize=self._store.maxsize,
            typed=self._typed,
            tasks=self._flights.tasks(),
            closed=self._flights.closed,
        )

    def cache_clear(self) -> None:
        """Remove every stored result and forget every in-flight computation (its
        callers still get its result, which is not stored); reset the counters."""
        flights = self._flights
        with flights.lock:
            self._store.clear()
            flights.detach_all()
            self._hits_cleared = _count_of(self._flights.hits)
            self._misses_cleared = _count_of(self._flights.misses)

    def cache_invalidate(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Remove the entry for these arguments, stored or in flight; return True if
        there was one. Callers already waiting still get the in-flight result, which
        is not stored."""
        key = self._key_of(args, kwargs)
        flights = self._flights
        with flights.lock:
            stored = self._store.discard(key)
            in_flight = flights.detach(key)
        return stored or in_flight

    def cache_contains(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Return True if these arguments have a stored, unexpired result or an
        in-flight computation. Changes no counter and no LRU order."""
        key = self._key_of(args, kwargs)
        return self._store.contains(key) or self._flights.in_flight_for(key)

    async def cache_close(self, *, wait: bool = False) -> None:
        """Close the cache: later calls raise :exc:`~async_lru.CacheClosedError`.

        In-flight computations of the current event loop are cancelled (those that
        were invalidated or cleared while running included), and their callers get
        :exc:`~async_lru.CacheClosedError`; with *wait* true they finish instead and
        deliver and store their results. Returns once they are done; computations of
        other threads' event loops are left to finish on their own. Closing again
        refuses nothing new, but without *wait* it stops the computations of its
        event loop that an earlier close waits for. Called with *wait* true from
        inside a computation that it would wait for, it raises :exc:`RuntimeError`
        instead of waiting for itself.
        """
        await self._flights.close(wait=wait, refuse_hits=self._refuse_hits)

    # mypy and pyright look through @classmethod and @staticmethod stacked above a
    # callable object and call this __get__ as if neither were there, so the
    # overloads tell the three apart by the first parameter: a class (``cls``) binds
    # to the class, as the runtime does; a non-instance first parameter (a
    # staticmethod) leaves the function unbound. (A staticmethod whose first
    # parameter accepts the class or the instance, ``object`` or ``Any`` say, is
    # therefore seen as bound: nothing in its type says it is a staticmethod.)
    # self is typed as a Callable, not as _LRUCacheWrapper[Concatenate[...]],
    # because mypy does not check the first parameter of a Concatenate in a class's
    # type arguments; mypy then rejects the type[_T] self types ("erased type of
    # self is not a supertype") although they match a cached classmethod, hence the
    # two ignores. A cached partialmethod has the parameters ``...``: bound, it takes
    # any arguments.

    @overload
    def __get__(  # type: ignore[misc]
        self: Callable[Concatenate[type[_T], _Q], Coroutine[Any, Any, _R]],
        instance: None,
        owner: type[_T],
    ) -> _LRUCacheWrapperInstanceMethod[_Q, _R, type[_T]]: ...

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(
        self: Callable[Concatenate[_T, _Q], Coroutine[Any, Any, _R]],
        instance: _T,
        owner: type[Any] | None = None,
    ) -> _LRUCacheWrapperInstanceMethod[_Q, _R, _T]: ...

    @overload
    def __get__(  # type: ignore[misc]
        self: Callable[Concatenate[type[_T], _Q], Coroutine[Any, Any, _R]],
        instance: _T,
        owner: type[Any] | None = None,
    ) -> _LRUCacheWrapperInstanceMethod[_Q, _R, type[_T]]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> Self: ...

    def __get__(self: Any, instance: Any, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self
        return _LRUCacheWrapperInstanceMethod(self, instance)


@final
class _FromWrapper(str):
    """A class attribute of the bound method that is its class's own string on the
    class and the function's attribute on an instance.

    A str, because ``type(bound).__module__`` returns the class dictionary's entry as
    it is, and a descriptor, so that ``bound.__module__`` and ``bound.__doc__`` are
    the function's without storing them on every bound method made.
    """

    __slots__ = ("name",)

    name: str

    def __new__(cls, name: str, value: str | None) -> _FromWrapper:
        self = super().__new__(cls, value or "")
        self.name = name
        return self

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        # pickle saves a class's module name by value, as a plain string it must be.
        return str, (str(self),)

    def __get__(
        self, instance: _LRUCacheWrapperInstanceMethod[..., Any, Any] | None, owner: object = None
    ) -> Any:
        if instance is None:
            return str(self)
        return getattr(instance._wrapper, self.name)  # pyright: ignore[reportPrivateUsage]  # its helper


@final
class _LRUCacheWrapperInstanceMethod(_Partial, Generic[_P, _R, _T]):
    """The cached function bound to an instance, which is part of every key."""

    # _P: the function's parameters after the instance; _T: the instance's type.

    __slots__ = ("_wrapper",)

    def __new__(cls, wrapper: _LRUCacheWrapper[Concatenate[_T, _P], _R], instance: _T) -> Self:
        bound = super().__new__(cls, wrapper.func, instance)
        bound._wrapper = wrapper
        return bound

    if TYPE_CHECKING:
        # Only declares _wrapper for the checkers (partial has no __init__ to run): a
        # class-level annotation would make mypy apply _LRUCacheWrapper.__get__ to it.
        def __init__(
            self, wrapper: _LRUCacheWrapper[Concatenate[_T, _P], _R], instance: _T
        ) -> None:
            self._wrapper: _LRUCacheWrapper[Concatenate[_T, _P], _R] = wrapper

    if TYPE_CHECKING:
        func: Callable[..., Coroutine[Any, Any, _R]]
        args: tuple[Any, ...]
        # What __getattr__ forwards to the function's wrapper, typed.
        __wrapped__: Callable[Concatenate[_T, _P], Coroutine[Any, Any, _R]]
        __name__: str
        __qualname__: str

        def __call__(self, /, *args: _P.args, **kwargs: _P.kwargs) -> Coroutine[Any, Any, _R]: ...

    @property
    def __self__(self) -> _T:
        """The instance this method is bound to."""
        instance: _T = self.args[0]
        return instance

    if not TYPE_CHECKING:  # hidden from the checkers, which would accept any attribute

        def __getattr__(self, name: str) -> Any:
            # __name__, __wrapped__, attributes set on the function...
            return getattr(self._wrapper, name)

        @property
        def __annotations__(self) -> dict[str, Any]:
            # The class body's own (an empty dict) would hide the function's.
            return self._wrapper.__annotations__

    if not TYPE_CHECKING:  # both are plain strings to the checkers
        __doc__ = _FromWrapper("__doc__", __doc__)
        __module__ = _FromWrapper("__module__", __module__)

    def __reduce__(self) -> tuple[Any, ...]:
        # copy.copy() and pickle rebuild it from the function's wrapper and the
        # instance; partial's own reduce would call this class with the closure.
        return _LRUCacheWrapperInstanceMethod, (self._wrapper, self.__self__)

    def __repr__(self) -> str:
        return f"<bound alru_cache wrapper of {self._wrapper.__wrapped__!r} of {self.__self__!r}>"

    def cache_info(self) -> _CacheInfo:
        """Like the function's ``cache_info()``."""
        return self._wrapper.cache_info()

    def cache_parameters(self) -> CacheParameters:
        """Like the function's ``cache_parameters()``."""
        return self._wrapper.cache_parameters()

    def cache_clear(self) -> None:
        """Clear the whole function's cache, for every instance."""
        self._wrapper.cache_clear()

    def cache_invalidate(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Like the function's ``cache_invalidate()``, for this instance."""
        return self._wrapper.cache_invalidate(self.__self__, *args, **kwargs)

    def cache_contains(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Like the function's ``cache_contains()``, for this instance."""
        return self._wrapper.cache_contains(self.__self__, *args, **kwargs)

    async def cache_close(
        self, *, wait: bool = False, cancel: bool = False, return_exceptions: bool = True
    ) -> None:
        """Close the whole function's cache. *cancel* and *return_exceptions*, which
        async-lru deprecated and ignores, are accepted with a DeprecationWarning."""
        if cancel or return_exceptions is not True:
            warnings.warn(
                "cache_close(): cancel and return_exceptions are deprecated and ignored;"
                " wait=False cancels in-flight computations, wait=True awaits them",
                DeprecationWarning,
                stacklevel=2,
            )
        await self._wrapper.cache_close(wait=wait)


def _make_call(
    store: Store,
    flights: Flights,
    key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable],
    plain_keys: bool,
) -> tuple[Callable[..., Coroutine[Any, Any, Any]], Callable[[], None]]:
    """Return the cached function's call and the function that makes its hits raise
    CacheClosedError."""
    get: Callable[[Hashable, object], Any] = store.entries.get
    move_to_end = store.entries.move_to_end
    ttl = store.ttl
    timer = store.timer
    count_hit = flights.count_hit
    miss = flights.miss
    # Keys other than the plain ones (typed, custom) never take the fast case.
    fast_types: frozenset[type] = _FAST_TYPES if plain_keys else frozenset()

    def refuse(key: Hashable, default: object) -> NoReturn:
        raise flights.closed_error()

    def refuse_hits() -> None:
        # A closed cache refuses hits as well: swapping the lookup for one that
        # raises spares every hit of an open cache a check.
        nonlocal get
        get = refuse

    async def cached_call(arg: Any = _NO_ARG, /, *args: Any, **kwargs: Any) -> Any:
        # The hit path, with make_key's commonest case (a single int or str argument)
        # and the Store lookups inlined. The first argument has a parameter of its own
        # so that this case builds neither an argument tuple nor a key.
        if args or kwargs or type(arg) not in fast_types:
            if arg is not _NO_ARG:
                args = (arg, *args)
            key = args if plain_keys and not kwargs else key_of(args, kwargs)
        else:
            key = arg
        found = get(key, _MISSING)
        if found is not _MISSING and (ttl is None or timer() < found):
            try:
                move_to_end(key)
            except KeyError:  # removed by another thread meanwhile; cheaper than suppress()
                pass
            count_hit()
            return found if ttl is None else found.value
        if not args and arg is not _NO_ARG:  # the single argument kept out of args above
            args = (arg,)
        return await miss(key, args, kwargs)

    return cached_call, refuse_hits


if TYPE_CHECKING:

    class _Decorator(Protocol):
        """What ``alru_cache(...)`` returns: the decorator proper."""

        @overload
        def __call__(
            self, fn: Callable[_P, Coroutine[Any, Any, _R]], /
        ) -> _LRUCacheWrapper[_P, _R]: ...

        @overload
        def __call__(
            self, fn: partialmethod[Coroutine[Any, Any, _R]], /
        ) -> _LRUCacheWrapper[..., _R]: ...


def _make_decorator(
    maxsize: int | None,
    typed: bool,
    ttl: object,
    jitter: object,
    key: Callable[..., Hashable] | None,
    timer: Callable[[], float],
    stale: object,
) -> _Decorator:
    # A ttl is a number of seconds or a callable that gives them for each result.
    checked_ttl: float | Callable[[Any], float | None] | None
    checked_ttl = (
        cast("Callable[[Any], float | None]", ttl) if callable(ttl) else check_seconds(ttl, "ttl")
    )
    checked_jitter = check_seconds(jitter, "jitter")
    if checked_jitter is not None and checked_ttl is None:
        raise ValueError("jitter requires ttl to be set")
    checked_stale = check_seconds(stale, "stale")
    if checked_stale is not None and checked_ttl is None:
        raise ValueError("stale requires ttl to be set")
    if key is not None and not callable(key):
        raise TypeError(f"key must be callable, not {key!r}")
    if key is not None and typed:
        raise ValueError(
            "typed is ignored when a custom key callable is provided: pass one or the other"
        )
    if not callable(timer):
        raise TypeError(f"timer must be callable, not {timer!r}")
    if maxsize is not None and maxsize < 0:
        maxsize = 0

    if key is not None:
        custom_key = key

        def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
            return custom_key(*args, **kwargs)

    else:
        key_of = partial(make_key, typed=bool(typed))

    # What it accepts and returns is declared by _Decorator's overloads.
    def decorator(fn: Any) -> Any:
        origin: Any = fn
        while isinstance(origin, (partial, partialmethod)):
            origin = origin.func
        if not inspect.iscoroutinefunction(origin):
            raise RuntimeError(f"Coroutine function is required, got {fn!r}")
        target: Callable[..., Any] = fn
        if isinstance(fn, partialmethod):
            # a plain function taking the instance first, as async-lru does (typeshed
            # omits this private method: mypy rejects it, pyright sees it and target
            # as Unknown)
            unbind: Callable[[], Callable[..., Any]] = fn._make_unbound_method  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
            target = unbind()  # pyright: ignore[reportUnknownVariableType]  # see above

        store = Store(maxsize, checked_ttl, checked_jitter, timer, checked_stale)
        return _LRUCacheWrapper(
            target,  # pyright: ignore[reportUnknownArgumentType]  # partialmethod's
            store,
            Flights(target, store),  # pyright: ignore[reportUnknownArgumentType]
            key_of,
            typed=bool(typed),
            plain_keys=key is None and not typed,
        )

    return decorator


@overload
def alru_cache(
    maxsize: Callable[_P, Coroutine[Any, Any, _R]],
    /,
) -> _LRUCacheWrapper[_P, _R]: ...


@overload
def alru_cache(
    maxsize: partialmethod[Coroutine[Any, Any, _R]],
    /,
) -> _LRUCacheWrapper[..., _R]: ...


@overload
def alru_cache(
    maxsize: int | None = 128,
    typed: bool = False,
    *,
    ttl: float | Callable[[Any], float | None] | None = None,
    jitter: float | None = None,
    key: Callable[..., Hashable] | None = None,
    timer: Callable[[], float] = time.monotonic,
    stale: float | None = None,
) -> _Decorator: ...


def alru_cache(
    maxsize: int | Callable[_P, Coroutine[Any, Any, _R]] | partialmethod[Any] | None = 128,
    typed: bool = False,
    *,
    ttl: float | Callable[[Any], float | None] | None = None,
    jitter: float | None = None,
    key: Callable[..., Hashable] | None = None,
    timer: Callable[[], float] = time.monotonic,
    stale: float | None = None,
) -> Any:
    """Decorator to wrap an ``async def`` function with a memoizing callable that
    saves up to the *maxsize* most recent results, under asyncio and trio.

    Concurrent calls with equal arguments in one event loop run share one
    computation, which runs in a task of its own: a caller that is cancelled leaves
    it to the others, and the last caller to leave stops it. The first call counts as
    a miss, the others as hits. Exceptions are never cached.

    If *maxsize* is None, the cache grows without bound. If it is 0, nothing is
    stored, but concurrent calls still share one computation; a negative number
    counts as 0.

    If *typed* is true, arguments of different types are cached separately: ``f(3)``
    and ``f(3.0)`` are distinct calls.

    *ttl*, in seconds by *timer*, bounds how long a stored result is returned; its
    deadline is fixed when it is stored, and hits do not extend it. *ttl* may also be
    a callable that takes each computed result and returns its seconds, or None for
    no expiry; 0 seconds means the result is not stored. *jitter* adds a random
    number of seconds, up to *jitter*, to each deadline, so that results stored
    together do not expire together.

    With *stale* seconds, a result past its deadline is still returned at once for
    that long, counted as a hit, while one computation refreshes it in the
    background.

    *key*, a callable taking the function's arguments, returns the cache key to use
    instead of the arguments themselves. *timer*, a callable returning seconds, is
    the clock of the deadlines; :func:`trio.current_time` lets trio's
    :class:`~trio.testing.MockClock` drive expiry in tests.

    The decorator may be used bare (``@alru_cache``) or called
    (``@alru_cache(maxsize=...)``). It raises :exc:`TypeError` for a parameter of the
    wrong type, :exc:`ValueError` for a negative or NaN number of seconds, for
    *jitter* or *stale* without *ttl* and for *typed* with *key*,
    :exc:`NotImplementedError` for a *maxsize* that is neither a number, None nor a
    function, and :exc:`RuntimeError` for a function that is not a coroutine
    function. At call time, arguments (or a *key*) that are not hashable raise
    :exc:`TypeError` and leave the cache unchanged.
    """
    if maxsize is None or isinstance(maxsize, int):
        return _make_decorator(maxsize, typed, ttl, jitter, key, timer, stale)
    if callable(maxsize) or isinstance(maxsize, partialmethod):  # pyright: ignore[reportUnnecessaryIsInstance]
        return _make_decorator(128, typed, ttl, jitter, key, timer, stale)(maxsize)
    raise NotImplementedError(
        f"{maxsize!r} decorating is not supported:"
        " maxsize must be an int, None or the coroutine function to decorate"
    )
