"""The decorator, its parameter checks, the cache wrapper and its bound-method form."""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import sys
import time
from collections.abc import Callable, Coroutine, Hashable
from functools import _CacheInfo, partial, partialmethod
from itertools import count
from typing import TYPE_CHECKING, Any, Final, Generic, TypedDict, TypeVar, final, overload

from ._flight import CacheClosedError, Flights
from ._store import _MISSING, Store

if TYPE_CHECKING:
    from typing_extensions import ParamSpec, Self

    _P = ParamSpec("_P")
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


def make_key(args: tuple[Any, ...], kwargs: dict[str, Any], typed: bool) -> Hashable:
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


class _LRUCacheWrapper(Generic[_P, _R]):
    """An ``async def`` function with a least-recently-used cache of its results.

    Each decorated function gets its own subclass whose ``__call__`` is a closure
    over the cache's state, so that a hit costs no attribute lookups.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_flights",
        "_hits",
        "_hits_cleared",
        "_key_of",
        "_misses",
        "_misses_cleared",
        "_store",
        "_typed",
    )

    # With the subclass's __code__ (a coroutine's), these make inspect see a
    # coroutine function on every Python version.
    __defaults__ = None
    __kwdefaults__ = None

    __wrapped__: Callable[_P, Coroutine[Any, Any, _R]]
    _flights: Flights
    _hits: count[int]
    _hits_cleared: int
    _key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable]
    _misses: count[int]
    _misses_cleared: int
    _store: Store
    _typed: bool

    def __init__(
        self,
        fn: Callable[_P, Coroutine[Any, Any, _R]],
        store: Store,
        flights: Flights,
        hits: count[int],
        misses: count[int],
        key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable],
        typed: bool,
    ) -> None:
        self._store = store
        self._flights = flights
        self._hits = hits
        self._misses = misses
        self._hits_cleared = 0
        self._misses_cleared = 0
        self._key_of = key_of
        self._typed = bool(typed)
        functools.update_wrapper(self, fn)
        if sys.version_info >= (3, 12):
            inspect.markcoroutinefunction(self)

    if TYPE_CHECKING:

        def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> Coroutine[Any, Any, _R]: ...

    def cache_info(self) -> _CacheInfo:
        """Return hits, misses, maxsize and currsize (stored unexpired results plus
        in-flight computations) as a ``functools._CacheInfo``; reclaims every expired
        entry."""
        flights = self._flights
        with flights.lock:
            self._store.reclaim_all()
            currsize = len(self._store.entries) + len(flights.slots)
        return _CacheInfo(
            _count_of(self._hits) - self._hits_cleared,
            _count_of(self._misses) - self._misses_cleared,
            self._store.maxsize,
            currsize,
        )

    def cache_parameters(self) -> CacheParameters:
        """Return the cache's maxsize and typed flag, the number of in-flight
        computations (``tasks``) and whether it is closed."""
        return CacheParameters(
            maxsize=self._store.maxsize,
            typed=self._typed,
            tasks=len(self._flights.slots),
            closed=self._flights.closed,
        )

    def cache_clear(self) -> None:
        """Remove every stored result and forget every in-flight computation (its
        callers still get its result, which is not stored); reset the counters."""
        flights = self._flights
        with flights.lock:
            self._store.clear()
            flights.slots.clear()
            self._hits_cleared = _count_of(self._hits)
            self._misses_cleared = _count_of(self._misses)

    def cache_invalidate(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Remove the entry for these arguments, stored or in flight; return True if
        there was one. Callers already waiting still get the in-flight result, which
        is not stored."""
        key = self._key_of(args, kwargs)
        flights = self._flights
        with flights.lock:
            stored = self._store.discard(key)
            in_flight = flights.slots.pop(key, None) is not None
        return stored or in_flight

    def cache_contains(self, /, *args: _P.args, **kwargs: _P.kwargs) -> bool:
        """Return True if these arguments have a stored, unexpired result or an
        in-flight computation. Changes no counter and no LRU order."""
        key = self._key_of(args, kwargs)
        return self._store.contains(key) or key in self._flights.slots

    async def cache_close(self, *, wait: bool = False) -> None:
        """Close the cache: later calls raise :exc:`CacheClosedError`.

        In-flight computations of the current event loop are cancelled, and their
        callers get :exc:`CacheClosedError`; with *wait* true they finish instead
        and deliver and store their results. Returns once they are done. Closing a
        closed cache does nothing more.
        """
        await self._flights.close(wait=wait)

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(
        self, instance: _T, owner: type[Any] | None = None
    ) -> _LRUCacheWrapperInstanceMethod[_P, _R, _T]: ...

    def __get__(self, instance: Any, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self
        return _LRUCacheWrapperInstanceMethod(self, instance)


@final
class _LRUCacheWrapperInstanceMethod(Generic[_P, _R, _T]):
    """The cached function bound to an instance, which is part of every key."""

    __slots__ = ("__self__", "__weakref__", "_wrapper")

    def __init__(self, wrapper: _LRUCacheWrapper[_P, _R], instance: _T) -> None:
        self._wrapper = wrapper
        self.__self__ = instance

    def __call__(self, /, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, _R]:
        return self._wrapper(self.__self__, *args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        # __name__, __wrapped__, __code__, annotations, user attributes...
        return getattr(self._wrapper, name)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._wrapper.__doc__

    def cache_info(self) -> _CacheInfo:
        """Like the function's ``cache_info()``."""
        return self._wrapper.cache_info()

    def cache_parameters(self) -> CacheParameters:
        """Like the function's ``cache_parameters()``."""
        return self._wrapper.cache_parameters()

    def cache_clear(self) -> None:
        """Clear the whole function's cache, for every instance."""
        self._wrapper.cache_clear()

    def cache_invalidate(self, /, *args: Any, **kwargs: Any) -> bool:
        """Like the function's ``cache_invalidate()``, for this instance."""
        return self._wrapper.cache_invalidate(self.__self__, *args, **kwargs)  # type: ignore[arg-type]

    def cache_contains(self, /, *args: Any, **kwargs: Any) -> bool:
        """Like the function's ``cache_contains()``, for this instance."""
        return self._wrapper.cache_contains(self.__self__, *args, **kwargs)  # type: ignore[arg-type]

    async def cache_close(self, *, wait: bool = False) -> None:
        """Close the whole function's cache."""
        await self._wrapper.cache_close(wait=wait)


def _make_call(
    store: Store,
    flights: Flights,
    key_of: Callable[[tuple[Any, ...], dict[str, Any]], Hashable],
    plain_keys: bool,
) -> Callable[..., Coroutine[Any, Any, Any]]:
    get = store.entries.get
    move_to_end = store.entries.move_to_end
    ttl = store.ttl
    timer = store.timer
    count_hit = flights.count_hit
    miss = flights.miss

    async def __call__(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        # The hit path, with make_key's fast cases and Store lookups inlined.
        if flights.closed:
            raise CacheClosedError("the cache is closed")
        if kwargs or not plain_keys:
            key = key_of(args, kwargs)
        elif len(args) == 1 and type(args[0]) in _FAST_TYPES:
            key = args[0]
        else:
            key = args
        found = get(key, _MISSING)
        if found is not _MISSING and (ttl is None or timer() < found):
            try:
                move_to_end(key)
            except KeyError:  # removed by another thread meanwhile; cheaper than suppress()
                pass
            count_hit()
            return found if ttl is None else found.value
        return await miss(key, args, kwargs)

    return __call__


def _check_number(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or None, not {value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, not {value!r}")
    return float(value)


def _make_decorator(
    maxsize: int | None,
    typed: bool,
    ttl: object,
    jitter: object,
    key: Callable[..., Hashable] | None,
    timer: Callable[[], float],
) -> Callable[[Callable[_P, Coroutine[Any, Any, _R]]], _LRUCacheWrapper[_P, _R]]:
    checked_ttl = _check_number("ttl", ttl)
    checked_jitter = _check_number("jitter", jitter)
    if checked_jitter is not None and checked_ttl is None:
        raise ValueError("jitter requires ttl to be set")
    if key is not None and not callable(key):
        raise TypeError(f"key must be callable, not {key!r}")
    if key is not None and typed:
        raise ValueError("typed cannot be combined with a custom key callable")
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

    def decorator(fn: Callable[_P, Coroutine[Any, Any, _R]]) -> _LRUCacheWrapper[_P, _R]:
        origin: Any = fn
        while isinstance(origin, (partial, partialmethod)):
            origin = origin.func
        if not inspect.iscoroutinefunction(origin):
            raise RuntimeError(f"alru_cache needs a coroutine function, got {fn!r}")
        target: Callable[..., Any] = fn
        if isinstance(fn, partialmethod):
            # a plain function taking the instance first, as async-lru does
            unbind: Callable[[], Callable[..., Any]] = fn._make_unbound_method  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            target = unbind()

        store = Store(maxsize, checked_ttl, checked_jitter, timer)
        hits: count[int] = count()
        misses: count[int] = count()
        flights = Flights(target, store, hits.__next__, misses.__next__)
        call = _make_call(store, flights, key_of, key is None and not typed)
        cls = type(
            _LRUCacheWrapper.__name__,
            (_LRUCacheWrapper,),
            {"__slots__": (), "__call__": call, "__code__": call.__code__, "__module__": __name__},
        )
        wrapper: _LRUCacheWrapper[_P, _R] = cls(target, store, flights, hits, misses, key_of, typed)
        return wrapper

    return decorator


@overload
def alru_cache(
    maxsize: Callable[_P, Coroutine[Any, Any, _R]],
    /,
) -> _LRUCacheWrapper[_P, _R]: ...


@overload
def alru_cache(
    maxsize: int | None = 128,
    typed: bool = False,
    *,
    ttl: float | None = None,
    jitter: float | None = None,
    key: Callable[..., Hashable] | None = None,
    timer: Callable[[], float] = time.monotonic,
) -> Callable[[Callable[_P, Coroutine[Any, Any, _R]]], _LRUCacheWrapper[_P, _R]]: ...


def alru_cache(
    maxsize: int | Callable[_P, Coroutine[Any, Any, _R]] | None = 128,
    typed: bool = False,
    *,
    ttl: float | None = None,
    jitter: float | None = None,
    key: Callable[..., Hashable] | None = None,
    timer: Callable[[], float] = time.monotonic,
) -> Any:
    """Decorator to wrap an ``async def`` function with a memoizing callable that
    saves up to the *maxsize* most recent results, under asyncio and trio.

    Concurrent calls with equal arguments in one event loop share one execution.
    If *maxsize* is None the cache grows without bound; 0 stores nothing but still
    shares concurrent executions. If *typed* is true, arguments of different types
    are cached separately. *ttl* (seconds by *timer*, plus up to *jitter*) bounds
    how long a result is returned. *key*, a callable taking the function's
    arguments, builds the cache key instead of the arguments themselves.

    May be used bare (``@alru_cache``) or called (``@alru_cache(maxsize=...)``).
    Exceptions are never cached.
    """
    if maxsize is None or isinstance(maxsize, int):
        return _make_decorator(maxsize, typed, ttl, jitter, key, timer)
    if callable(maxsize) or isinstance(maxsize, partialmethod):  # pyright: ignore[reportUnnecessaryIsInstance]
        return _make_decorator(128, typed, ttl, jitter, key, timer)(maxsize)
    raise NotImplementedError(
        f"maxsize must be an int, None or the coroutine function to decorate, not {maxsize!r}"
    )
