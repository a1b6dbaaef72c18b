"""The public surface: decorator forms, parameter errors, wrapper attributes, methods."""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import pickle
import re
import sys
import warnings
import weakref
from collections.abc import AsyncIterator, Callable
from functools import partial, partialmethod
from typing import Any

import anyio
import pytest

import async_lru
from async_lru import AlruCacheLoopResetWarning, CacheClosedError, alru_cache

# --- decorator forms -------------------------------------------------------------------


async def test_bare_decorator_caches() -> None:
    """``@alru_cache`` without parentheses memoizes the function."""
    calls: list[int] = []

    @alru_cache
    async def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    assert await double(3) == 6
    assert await double(3) == 6
    assert calls == [3]
    assert double.cache_parameters()["maxsize"] == 128


async def test_called_decorator_without_arguments_caches() -> None:
    """``@alru_cache()`` memoizes the function with the default maxsize of 128."""
    calls: list[int] = []

    @alru_cache()
    async def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    assert await double(3) == 6
    assert await double(3) == 6
    assert calls == [3]
    assert double.cache_info().maxsize == 128


async def test_called_decorator_with_arguments_uses_them() -> None:
    """``@alru_cache(maxsize=..., typed=...)`` passes its arguments to the cache."""

    @alru_cache(maxsize=7, typed=True)
    async def double(x: int) -> int:
        return 2 * x

    assert await double(3) == 6
    assert double.cache_parameters()["maxsize"] == 7
    assert double.cache_parameters()["typed"] is True


async def test_decorator_applied_as_function_caches() -> None:
    """``alru_cache(fn)`` returns a memoizing wrapper of *fn*."""
    calls: list[int] = []

    async def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    cached = alru_cache(double)
    assert await cached(4) == 8
    assert await cached(4) == 8
    assert calls == [4]


async def test_partial_is_cached() -> None:
    """A ``functools.partial`` of a coroutine function can be cached."""
    calls: list[tuple[int, int]] = []

    async def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    cached = alru_cache(partial(add, 10))
    assert await cached(1) == 11
    assert await cached(1) == 11
    assert await cached(2) == 12
    assert calls == [(10, 1), (10, 2)]


async def test_partialmethod_is_cached_per_instance() -> None:
    """A ``functools.partialmethod`` can be cached and binds to each instance."""
    calls: list[tuple[object, int, int]] = []

    class Scaler:
        async def scaled(self, factor: int, x: int) -> int:
            calls.append((self, factor, x))
            return factor * x

        doubled = alru_cache(partialmethod(scaled, 2))

    first, second = Scaler(), Scaler()
    assert await first.doubled(5) == 10
    assert await first.doubled(5) == 10
    assert await second.doubled(5) == 10
    assert calls == [(first, 2, 5), (second, 2, 5)]


async def test_method_is_cached_per_instance() -> None:
    """A cached method keys on its instance: equal arguments on two instances run twice."""
    calls: list[tuple[object, int]] = []

    class Service:
        @alru_cache
        async def get(self, x: int) -> int:
            calls.append((self, x))
            return x + 1

    first, second = Service(), Service()
    assert await first.get(1) == 2
    assert await first.get(1) == 2
    assert await second.get(1) == 2
    assert calls == [(first, 1), (second, 1)]
    info = Service.get.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 2, 2)


async def test_classmethod_stacked_above_is_cached_per_class() -> None:
    """``@classmethod`` above ``@alru_cache`` works and keys on the class."""
    calls: list[tuple[type, int]] = []

    class Base:
        @classmethod
        @alru_cache
        async def load(cls, x: int) -> str:
            calls.append((cls, x))
            return f"{cls.__name__}:{x}"

    class Child(Base):
        pass

    # mypy does not see through a classmethod of a callable object; the runtime does.
    base: Any = Base
    child: Any = Child
    assert await base.load(1) == "Base:1"
    assert await base.load(1) == "Base:1"
    assert await base().load(1) == "Base:1"
    assert await child.load(1) == "Child:1"
    assert calls == [(Base, 1), (Child, 1)]


async def test_classmethod_cache_methods_take_the_class_as_python_binds_it() -> None:
    """Below Python 3.13 ``Class.method.cache_contains(x)`` includes the class, as
    ``classmethod`` binds the wrapper; from 3.13, which no longer does, the class is
    passed like any first argument."""

    class Base:
        @classmethod
        @alru_cache
        async def load(cls, x: int) -> str:
            return f"{cls.__name__}:{x}"

    base: Any = Base  # see test_classmethod_stacked_above_is_cached_per_class
    await base.load(1)
    if sys.version_info >= (3, 13):
        assert base.load.cache_contains(Base, 1)
        assert base.load.cache_invalidate(Base, 1)
    else:
        assert base.load.cache_contains(1)
        assert base.load.cache_invalidate(1)
    assert base.load.cache_info().currsize == 0


async def test_staticmethod_stacked_above_is_cached() -> None:
    """``@staticmethod`` above ``@alru_cache`` works from the class and from instances."""
    calls: list[int] = []

    class Tools:
        @staticmethod
        @alru_cache
        async def double(x: int) -> int:
            calls.append(x)
            return 2 * x

    assert await Tools.double(2) == 4
    assert await Tools().double(2) == 4
    assert calls == [2]
    info = Tools.double.cache_info()
    assert (info.hits, info.misses) == (1, 1)


# --- parameter errors -----------------------------------------------------------------


def test_sync_function_raises_runtime_error_at_decoration() -> None:
    """Decorating a plain function raises RuntimeError when the decorator is applied."""

    def sync(x: int) -> int:
        return x

    bad: Any = sync
    with pytest.raises(RuntimeError):
        alru_cache(bad)
    decorator = alru_cache(maxsize=4)
    with pytest.raises(RuntimeError):
        decorator(bad)


def test_async_generator_function_raises_runtime_error_at_decoration() -> None:
    """Decorating an async generator function raises RuntimeError."""

    async def agen() -> AsyncIterator[int]:
        yield 1

    bad: Any = agen
    with pytest.raises(RuntimeError):
        alru_cache(bad)
    with pytest.raises(RuntimeError):
        alru_cache()(bad)


@pytest.mark.parametrize("maxsize", ["10", 1.5, b"x", [3]])
def test_bad_maxsize_raises_not_implemented_error_naming_maxsize(maxsize: object) -> None:
    """A first argument that is neither an int, None nor callable raises
    NotImplementedError naming maxsize."""
    bad: Any = maxsize
    with pytest.raises(NotImplementedError, match="maxsize"):
        alru_cache(bad)


@pytest.mark.parametrize("name", ["ttl", "jitter"])
@pytest.mark.parametrize("value", ["1", b"1", [1], object()])
def test_non_number_ttl_or_jitter_raises_type_error(name: str, value: object) -> None:
    """A ttl or jitter that is not a real number raises TypeError naming it."""
    kwargs: dict[str, Any] = {"ttl": 1.0, name: value}
    with pytest.raises(TypeError, match=name):
        alru_cache(**kwargs)


@pytest.mark.parametrize("name", ["ttl", "jitter"])
@pytest.mark.parametrize("value", [-1, -0.5, math.nan])
def test_negative_or_nan_ttl_or_jitter_raises_value_error(name: str, value: float) -> None:
    """A negative or NaN ttl or jitter raises ValueError naming it."""
    kwargs: dict[str, Any] = {"ttl": 1.0, name: value}
    with pytest.raises(ValueError, match=name):
        alru_cache(**kwargs)


def test_jitter_without_ttl_raises_value_error() -> None:
    """jitter without ttl raises ValueError("jitter requires ttl to be set")."""
    with pytest.raises(ValueError, match=r"^jitter requires ttl to be set$"):
        alru_cache(jitter=1.0)


def test_non_callable_key_raises_type_error() -> None:
    """A key that is not callable raises TypeError naming key."""
    bad: Any = "not callable"
    with pytest.raises(TypeError, match="key"):
        alru_cache(key=bad)


def test_key_with_typed_raises_value_error() -> None:
    """A custom key combined with typed=True raises ValueError naming key."""
    with pytest.raises(ValueError, match="key"):
        alru_cache(typed=True, key=str)


async def test_unhashable_argument_raises_type_error_and_changes_nothing() -> None:
    """An unhashable argument raises TypeError at call time, leaving cache and counters."""
    calls: list[object] = []

    @alru_cache
    async def echo(x: object) -> object:
        calls.append(x)
        return x

    await echo(1)
    await echo(1)
    before = echo.cache_info()
    with pytest.raises(TypeError):
        await echo([1])
    with pytest.raises(TypeError):
        await echo(x={"a": 1})
    assert echo.cache_info() == before
    assert echo.cache_contains(1)
    assert echo.cache_parameters()["tasks"] == 0
    assert calls == [1]


async def test_unhashable_custom_key_raises_type_error_and_changes_nothing() -> None:
    """A custom key returning an unhashable value raises TypeError at call time."""
    calls: list[int] = []

    def listed(x: int) -> Any:
        return [x] if x < 0 else x

    @alru_cache(key=listed)
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    await echo(1)
    before = echo.cache_info()
    with pytest.raises(TypeError):
        await echo(-1)
    assert echo.cache_info() == before
    assert echo.cache_parameters()["tasks"] == 0
    assert calls == [1]


async def test_unhashable_instance_raises_type_error() -> None:
    """A method call on an unhashable instance raises TypeError, as with functools."""
    calls: list[int] = []

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

        @alru_cache
        async def get(self, x: int) -> int:
            calls.append(x)
            return x

    with pytest.raises(TypeError):
        await Unhashable().get(1)
    info = Unhashable.get.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 0, 0)
    assert calls == []


# --- wrapper attributes ---------------------------------------------------------------


async def _documented(x: int, *, flag: bool = False) -> str:
    """Return x as text."""
    return str(x) if flag else repr(x)


def test_wrapper_copies_name_qualname_doc_module() -> None:
    """The wrapper copies __name__, __qualname__, __doc__ and __module__."""
    # The wrapper's type declares no __name__ (like functools' own wrapper type).
    cached: Any = alru_cache(_documented)
    assert cached.__name__ == "_documented"
    assert cached.__qualname__ == "_documented"
    assert cached.__doc__ == "Return x as text."
    assert cached.__module__ == __name__


def test_wrapper_sets_wrapped() -> None:
    """__wrapped__ is the decorated function itself."""
    cached = alru_cache(_documented)
    assert cached.__wrapped__ is _documented
    assert inspect.unwrap(cached) is _documented


def test_wrapper_copies_annotations() -> None:
    """The wrapper reports the annotations of the decorated function."""
    cached = alru_cache(_documented)
    assert inspect.get_annotations(cached) == inspect.get_annotations(_documented)
    assert inspect.get_annotations(cached) == {"x": "int", "flag": "bool", "return": "str"}


def test_bound_method_reports_the_functions_annotations() -> None:
    """A bound method reports the annotations of the decorated method."""

    class Service:
        @alru_cache
        async def get(self, x: int) -> str:
            return str(x)

    expected = {"x": "int", "return": "str"}
    assert Service().get.__annotations__ == expected
    assert inspect.get_annotations(Service().get) == expected


def test_wrapped_partial_has_no_annotations_of_the_wrapper() -> None:
    """A cached partial, which has no annotations, shows none, as functools does."""
    cached: Any = alru_cache(partial(_documented, 1))
    with pytest.raises(AttributeError):
        _ = cached.__annotations__
    assert inspect.get_annotations(cached) == {}


@alru_cache
async def module_level_echo(x: int) -> int:
    """A cached function that pickle can find by name."""
    return x


def test_module_level_wrapper_pickles_by_name() -> None:
    """A module-level cached function pickles by name and unpickles as itself."""
    assert pickle.loads(pickle.dumps(module_level_echo)) is module_level_echo


def test_wrapper_signature_is_the_functions() -> None:
    """inspect.signature of the wrapper is that of the decorated function."""
    cached = alru_cache(_documented)
    assert inspect.signature(cached) == inspect.signature(_documented)


def test_wrapper_is_weak_referenceable() -> None:
    """A weak reference to the wrapper resolves to it."""
    cached = alru_cache(_documented)
    ref = weakref.ref(cached)
    assert ref() is cached


def test_wrapper_is_coroutine_function() -> None:
    """inspect (and asyncio below 3.14) see the wrapper as a coroutine function."""
    cached = alru_cache(_documented)
    assert inspect.iscoroutinefunction(cached)
    if sys.version_info < (3, 14):
        assert asyncio.iscoroutinefunction(cached)


def test_bound_method_is_coroutine_function() -> None:
    """A cached method, bound to an instance, is a coroutine function too."""

    class Service:
        @alru_cache
        async def get(self, x: int) -> int:
            return x

    bound = Service().get
    assert inspect.iscoroutinefunction(bound)
    assert inspect.iscoroutinefunction(Service.get)
    if sys.version_info < (3, 14):
        assert asyncio.iscoroutinefunction(bound)


async def test_calling_returns_a_coroutine() -> None:
    """Calling the wrapper returns a coroutine, which runs only when awaited."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    coro = echo(5)
    assert inspect.iscoroutine(coro)
    assert calls == []
    assert await coro == 5
    assert calls == [5]


def test_cache_parameters_has_exactly_the_documented_keys() -> None:
    """cache_parameters() has exactly maxsize, typed, tasks and closed."""
    cached = alru_cache(maxsize=3, typed=True)(_documented)
    assert cached.cache_parameters() == {
        "maxsize": 3,
        "typed": True,
        "tasks": 0,
        "closed": False,
    }


def test_cache_info_is_functools_cache_info() -> None:
    """cache_info() returns a functools._CacheInfo with hits, misses, maxsize, currsize."""
    cached = alru_cache(maxsize=3)(_documented)
    info = cached.cache_info()
    assert isinstance(info, functools._CacheInfo)
    assert info == (0, 0, 3, 0)


# --- bound methods --------------------------------------------------------------------


class _Service:
    """A class with a cached method, for the bound-method tests."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    @alru_cache
    async def get(self, x: int) -> int:
        """Return x plus one."""
        self.calls.append(x)
        return x + 1


async def test_bound_method_contains_and_invalidate_use_the_instance() -> None:
    """obj.method.cache_contains/cache_invalidate address obj's entries only."""
    first, second = _Service(), _Service()
    await first.get(1)
    assert first.get.cache_contains(1)
    assert not second.get.cache_contains(1)
    assert not second.get.cache_invalidate(1)
    assert first.get.cache_contains(1)
    assert first.get.cache_invalidate(1)
    assert not first.get.cache_contains(1)
    await first.get(1)
    assert first.calls == [1, 1]


async def test_bound_method_cache_info_is_the_functions() -> None:
    """obj.method.cache_info() and cache_parameters() describe the whole function."""
    first, second = _Service(), _Service()
    _Service.get.cache_clear()
    await first.get(1)
    await second.get(1)
    await second.get(1)
    assert first.get.cache_info() == _Service.get.cache_info()
    assert first.get.cache_info()[:2] == (1, 2)
    assert first.get.cache_parameters() == _Service.get.cache_parameters()


async def test_bound_method_cache_clear_clears_all_instances() -> None:
    """cache_clear() on a bound method clears the entries of every instance."""
    first, second = _Service(), _Service()
    await first.get(1)
    await second.get(2)
    first.get.cache_clear()
    assert not first.get.cache_contains(1)
    assert not second.get.cache_contains(2)
    assert _Service.get.cache_info()[:2] == (0, 0)


async def test_method_on_class_callable_with_explicit_instance() -> None:
    """``Class.method(obj, x)`` works and shares its entry with ``obj.method(x)``."""
    service = _Service()
    assert await _Service.get(service, 4) == 5
    assert await service.get(4) == 5
    assert service.calls == [4]
    assert service.get.cache_contains(4)
    assert _Service.get.cache_contains(service, 4)


def test_bound_method_copies_function_attributes() -> None:
    """A bound cached method reports the function's __name__, __doc__ and __wrapped__."""
    bound = _Service().get
    assert bound.__name__ == "get"
    assert bound.__qualname__ == "_Service.get"
    assert bound.__doc__ == "Return x plus one."
    assert bound.__wrapped__ is _Service.get.__wrapped__


# --- public names ---------------------------------------------------------------------


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ lists the four public names, each of which the module defines."""
    assert set(async_lru.__all__) == {
        "alru_cache",
        "CacheClosedError",
        "AlruCacheLoopResetWarning",
        "__version__",
    }
    for name in async_lru.__all__:
        assert hasattr(async_lru, name)
    assert isinstance(async_lru.__version__, str)


def test_cache_closed_error_subclasses_runtime_and_closed_resource_errors() -> None:
    """CacheClosedError is a RuntimeError and an anyio.ClosedResourceError."""
    assert issubclass(CacheClosedError, RuntimeError)
    assert issubclass(CacheClosedError, anyio.ClosedResourceError)


def test_loop_reset_warning_is_a_warning() -> None:
    """AlruCacheLoopResetWarning is importable and is a Warning category."""
    assert issubclass(AlruCacheLoopResetWarning, Warning)
    with pytest.warns(AlruCacheLoopResetWarning):
        warnings.warn("filter check", AlruCacheLoopResetWarning, stacklevel=1)


def test_loop_reset_warning_is_never_emitted_across_runs() -> None:
    """Using one cache from successive asyncio and trio runs emits no warning at all."""
    calls: list[int] = []

    @alru_cache
    async def echo(x: int) -> int:
        calls.append(x)
        return x

    async def use() -> None:
        assert await echo(1) == 1
        assert await echo(2) == 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        anyio.run(use, backend="asyncio")
        anyio.run(use, backend="trio")
        anyio.run(use, backend="asyncio")
    assert [w.message for w in caught] == []
    assert calls == [1, 2]


# --- no event loop --------------------------------------------------------------------


def test_sync_methods_work_without_event_loop() -> None:
    """cache_info, cache_parameters, cache_contains, cache_invalidate and cache_clear work
    with no event loop running."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    async def fill() -> None:
        await echo(1)
        await echo(1)
        await echo(2)

    anyio.run(fill)
    assert echo.cache_info() == (1, 2, 128, 2)
    assert echo.cache_parameters() == {
        "maxsize": 128,
        "typed": False,
        "tasks": 0,
        "closed": False,
    }
    assert echo.cache_contains(1)
    assert echo.cache_invalidate(1)
    assert not echo.cache_contains(1)
    assert not echo.cache_invalidate(1)
    echo.cache_clear()
    assert echo.cache_info() == (0, 0, 128, 0)
    assert not echo.cache_contains(2)


async def test_bound_method_close_accepts_deprecated_arguments_with_a_warning() -> None:
    """As in async-lru, a bound method's cache_close() takes the deprecated cancel and
    return_exceptions with a DeprecationWarning, and closes the cache."""

    class Service:
        @alru_cache
        async def get(self, x: int) -> int:
            return x

    service = Service()
    with pytest.warns(DeprecationWarning, match="cancel and return_exceptions"):
        await service.get.cache_close(cancel=True)
    assert service.get.cache_parameters()["closed"]
    with pytest.warns(DeprecationWarning, match="deprecated and ignored"):
        await Service().get.cache_close(return_exceptions=False)


def _decorate_a_string() -> object:
    decorate: Any = alru_cache  # the checkers would reject the string, rightly
    result: object = decorate("x")
    return result


def _decorate_a_sync_function() -> object:
    def double(x: int) -> int:
        return 2 * x

    decorate: Any = alru_cache  # likewise the function that is not a coroutine's
    result: object = decorate(double)
    return result


@pytest.mark.parametrize(
    ("make", "error", "begins"),
    [
        (lambda: alru_cache(ttl=1, jitter=-0.5), ValueError, "jitter must be non-negative"),
        (lambda: alru_cache(ttl=-1), ValueError, "ttl must be non-negative"),
        (
            lambda: alru_cache(key=str, typed=True),
            ValueError,
            "typed is ignored when a custom key callable is provided",
        ),
        (_decorate_a_string, NotImplementedError, "'x' decorating is not supported"),
        (_decorate_a_sync_function, RuntimeError, "Coroutine function is required, got"),
    ],
)
def test_parameter_errors_begin_as_async_lrus(
    make: Callable[[], object], error: type[Exception], begins: str
) -> None:
    """Parameter errors start with async-lru's wording, so that code matching on it
    keeps working, and go on to name what was wrong."""
    with pytest.raises(error, match="^" + re.escape(begins)):
        make()


async def test_call_after_close_says_which_function_is_closed() -> None:
    """A call after close raises CacheClosedError with async-lru's wording."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    await echo.cache_close()
    with pytest.raises(CacheClosedError, match=r"^alru_cache is closed for <function"):
        await echo(1)


def test_call_awaited_outside_an_event_loop_raises_runtime_error() -> None:
    """A miss driven by hand, with no asyncio or trio event loop running, raises
    RuntimeError saying that it must be awaited in one, and changes nothing."""

    @alru_cache
    async def echo(x: int) -> int:
        return x

    call = echo(1)
    with pytest.raises(RuntimeError, match="must be awaited in an asyncio or trio event loop"):
        call.send(None)
    call.close()
    assert echo.cache_info() == (0, 0, 128, 0)
    assert echo.cache_parameters()["tasks"] == 0


async def test_the_wrapper_classes_import_from_the_package_as_in_async_lru() -> None:
    """``async_lru._LRUCacheWrapper`` and ``_LRUCacheWrapperInstanceMethod`` are the
    classes of a decorated function and of its bound form, as in async-lru."""
    from async_lru import _LRUCacheWrapper, _LRUCacheWrapperInstanceMethod

    class Repository:
        @alru_cache
        async def name(self, x: int) -> str:
            return str(x)

    @alru_cache
    async def double(x: int) -> int:
        return 2 * x

    cached: _LRUCacheWrapper[[int], int] = double
    assert isinstance(cached, _LRUCacheWrapper)
    bound: _LRUCacheWrapperInstanceMethod[[int], str, Repository] = Repository().name
    assert isinstance(bound, _LRUCacheWrapperInstanceMethod)
    assert await cached(2) + len(await bound(10)) == 6
