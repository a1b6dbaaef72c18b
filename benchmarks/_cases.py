"""The measured cases: what each one builds before timing, and what it times."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

import anyio.lowlevel
from anyio.functools import lru_cache

from async_lru import alru_cache
from async_lru._runner import Backend, Event, current_run

from ._settings import BACKENDS, BURST_CALLERS, HOT_KEYS, SMALL_ENTRIES, TTL_SECONDS, Settings
from ._timing import FreshKeys, Measurement, Trial, timed_bursts, timed_loop
from ._upstream import VERSION, ReferenceDecorator, UpstreamUnavailableError, load_upstream

Source = Callable[[int], Coroutine[Any, Any, int]]


class ClearableCache(Protocol):
    """A cached one-argument function of any of the measured caches."""

    def __call__(self, key: int, /) -> Coroutine[Any, Any, object]: ...

    def cache_clear(self) -> None: ...


# The headings of the table: the cache each group of rows measures.
THIS_LIBRARY: Final = "async-lru-anyio alru_cache"
PEER: Final = "anyio.functools.lru_cache"
REFERENCE: Final = f"async-lru {VERSION} alru_cache (asyncio only)"


@dataclass(frozen=True)
class Case:
    """One row of the table: a name for the command line, a label, and its preparation.

    *prepare* builds the case inside the event loop (caches, prefilled entries) and
    returns the trial that times one run of it. *group* names the cache measured ("" for
    the baselines, which measure none), *backends* where that cache runs at all, and
    *reference* marks async-lru 2.4.0's rows, measured only when its wheel could be fetched.
    """

    slug: str
    label: str
    prepare: Callable[[Settings], Awaitable[Trial]]
    group: str = THIS_LIBRARY
    backends: tuple[str, ...] = BACKENDS
    reference: bool = False

    def title(self, settings: Settings) -> str:
        """Return the label with the sizes of *settings* filled in."""
        return self.label.format(large=settings.large_entries)

    def runs_on(self, backend: str) -> bool:
        """Return whether this case is measured on *backend* in this process."""
        if backend not in self.backends:
            return False
        return not self.reference or load_upstream().alru_cache is not None


def new_source() -> Source:
    """Return a new ``async def`` function that returns its argument at once."""

    async def source(key: int) -> int:
        return key

    return source


def new_checkpoint_source() -> Source:
    """Return a new ``async def`` function that yields to the event loop once."""

    async def source(key: int) -> int:
        await anyio.lowlevel.checkpoint()
        return key

    return source


def running_backend() -> str:
    """Return the backend of the running event loop.

    Inside a trio run no asyncio loop runs (these benchmarks never start trio as a guest).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "trio"
    return "asyncio"


def new_suspending_source() -> Source:
    """Return a new ``async def`` function that suspends once, the running backend's own way.

    It yields with ``asyncio.sleep(0)`` or ``trio.lowlevel.checkpoint()``, not through
    anyio, whose dispatch would add about a microsecond to each call of every row using
    it, and so bring the ratios between those rows closer to 1 than the caches are.
    """
    if running_backend() == "asyncio":

        async def source(key: int) -> int:
            await asyncio.sleep(0)
            return key

        return source

    import trio.lowlevel  # only ever imported inside a trio run

    async def trio_source(key: int) -> int:
        await trio.lowlevel.checkpoint()
        return key

    return trio_source


async def fill(function: Callable[[int], Awaitable[object]], keys: Iterable[int]) -> None:
    """Call *function* once per key, storing one entry each."""
    for key in keys:
        await function(key)


async def hits_on_one_key(cached: ClearableCache, settings: Settings) -> Trial:
    """Store key 0 in *cached*, then return a trial that hits it in a loop."""
    await cached(0)
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


def misses_on_fresh_keys(cached: ClearableCache, settings: Settings) -> Trial:
    """Return a trial that calls *cached* on keys it never saw, then clears it.

    Clearing after each run keeps the cache from growing over the repetitions, so that
    every run measures misses on a cache of the same (empty) size.
    """
    fresh = FreshKeys()

    async def trial() -> Measurement:
        measurement = await timed_loop(cached, fresh.take(settings.miss_calls))
        cached.cache_clear()
        return measurement

    return trial


async def prepare_plain_await(settings: Settings) -> Trial:
    """The baseline: await an uncached ``async def`` that returns at once."""
    source = new_source()
    keys = [0] * settings.hit_calls

    async def trial() -> Measurement:
        return await timed_loop(source, keys)

    return trial


async def prepare_hit(settings: Settings) -> Trial:
    """A hit on one stored key of a default cache (maxsize=128)."""
    return await hits_on_one_key(alru_cache()(new_source()), settings)


async def prepare_hit_ttl(settings: Settings) -> Trial:
    """A hit on one stored key of a cache with a ttl that does not run out meanwhile."""
    return await hits_on_one_key(alru_cache(ttl=TTL_SECONDS)(new_source()), settings)


async def prepare_stale_hit(settings: Settings) -> Trial:
    """Stale hits that each start one refresh: every key was stored, then its ttl ran
    out (a fake clock moves past it), and it is within its stale window."""
    clock = [0.0]
    cached = alru_cache(maxsize=None, ttl=1.0, stale=1e9, timer=lambda: clock[0])(new_source())
    fresh = FreshKeys()

    async def trial() -> Measurement:
        keys = fresh.take(settings.miss_calls)
        await fill(cached, keys)
        clock[0] += 2.0  # past every deadline, well within the window
        measurement = await timed_loop(cached, keys)
        with anyio.fail_after(60):  # the refreshes this started
            while cached.cache_parameters()["tasks"]:
                await anyio.lowlevel.checkpoint()
        cached.cache_clear()
        return measurement

    return trial


# The caches of the stored-size rows, filled once per process and kept for the next
# backend's run: a million misses take longer than all the timed runs together, and
# stored results are valid in any event loop run, so every backend hits the same entries.
_stored_caches: dict[int, ClearableCache] = {}


async def stored_cache(stored: int) -> ClearableCache:
    """Return an unbounded cache holding *stored* entries, filling it on the first call."""
    cached = _stored_caches.get(stored)
    if cached is None:
        cached = alru_cache(maxsize=None)(new_source())
        await fill(cached, range(stored))
        _stored_caches[stored] = cached
    return cached


def release_stored_caches() -> None:
    """Drop the stored-size rows' caches, so that later garbage collections skip them."""
    _stored_caches.clear()


async def prepare_stored_hit(stored: int, settings: Settings) -> Trial:
    """Hits on HOT_KEYS keys spread evenly over a cache holding *stored* entries.

    Both stored-size rows cycle through the same number of keys, so that they differ
    only in how many entries the cache holds, not in the working set they touch.
    """
    cached = await stored_cache(stored)
    hot_keys = list(range(0, stored, stored // HOT_KEYS))[:HOT_KEYS]
    keys = hot_keys * (settings.hit_calls // HOT_KEYS)

    async def trial() -> Measurement:
        return await timed_loop(cached, keys)

    return trial


async def prepare_small_hit(settings: Settings) -> Trial:
    """Hits with SMALL_ENTRIES entries stored."""
    return await prepare_stored_hit(SMALL_ENTRIES, settings)


async def prepare_large_hit(settings: Settings) -> Trial:
    """Hits with ``settings.large_entries`` entries stored."""
    return await prepare_stored_hit(settings.large_entries, settings)


async def prepare_miss(settings: Settings) -> Trial:
    """Misses without eviction: an unbounded cache, fresh keys, cleared after each run."""
    return misses_on_fresh_keys(alru_cache(maxsize=None)(new_source()), settings)


async def prepare_miss_suspend(settings: Settings) -> Trial:
    """The same misses, of a function that suspends once before it returns."""
    return misses_on_fresh_keys(alru_cache(maxsize=None)(new_suspending_source()), settings)


async def prepare_miss_evict(settings: Settings) -> Trial:
    """Misses that each evict the least recent entry of a full cache (maxsize=128)."""
    cached = alru_cache(maxsize=128)(new_source())
    fresh = FreshKeys()
    await fill(cached, range(128))

    async def trial() -> Measurement:
        return await timed_loop(cached, fresh.take(settings.miss_calls))

    return trial


async def prepare_burst(settings: Settings) -> Trial:
    """BURST_CALLERS tasks call one key of an empty cache; the function checkpoints once."""
    cached = alru_cache(maxsize=None)(new_checkpoint_source())
    fresh = FreshKeys()

    async def trial() -> Measurement:
        measurement = await timed_bursts(cached, fresh.take(settings.bursts))
        cached.cache_clear()
        return measurement

    return trial


async def prepare_burst_uncached(settings: Settings) -> Trial:
    """The same burst with no cache: what starting and running the tasks costs alone."""
    source = new_checkpoint_source()
    fresh = FreshKeys()

    async def trial() -> Measurement:
        return await timed_bursts(source, fresh.take(settings.bursts))

    return trial


async def prepare_peer_hit(settings: Settings) -> Trial:
    """A hit of ``anyio.functools.lru_cache`` (maxsize=128) on one stored key."""
    return await hits_on_one_key(lru_cache(maxsize=128)(new_source()), settings)


async def prepare_peer_miss(settings: Settings) -> Trial:
    """Misses of ``anyio.functools.lru_cache``: unbounded, fresh keys, cleared after each run."""
    return misses_on_fresh_keys(lru_cache(maxsize=None)(new_source()), settings)


async def prepare_peer_miss_suspend(settings: Settings) -> Trial:
    """The same misses of ``anyio.functools.lru_cache``, of a function that suspends once."""
    return misses_on_fresh_keys(lru_cache(maxsize=None)(new_suspending_source()), settings)


def reference_decorator() -> ReferenceDecorator:
    """Return async-lru 2.4.0's ``alru_cache``; its cases run only when it was loaded."""
    upstream = load_upstream()
    if upstream.alru_cache is None:
        raise UpstreamUnavailableError(upstream.note)
    return upstream.alru_cache


async def prepare_reference_hit(settings: Settings) -> Trial:
    """A hit of async-lru 2.4.0 (maxsize=128) on one stored key."""
    return await hits_on_one_key(reference_decorator()()(new_source()), settings)


async def prepare_reference_miss(settings: Settings) -> Trial:
    """Misses of async-lru 2.4.0: unbounded, fresh keys, cleared after each run."""
    return misses_on_fresh_keys(reference_decorator()(maxsize=None)(new_source()), settings)


async def prepare_reference_miss_suspend(settings: Settings) -> Trial:
    """The same misses of async-lru 2.4.0, of a function that suspends once."""
    cached = reference_decorator()(maxsize=None)(new_suspending_source())
    return misses_on_fresh_keys(cached, settings)


class _RunnerOutcome:
    """Where the bare runner below leaves its value."""

    __slots__ = ("done", "event", "value")

    def __init__(self) -> None:
        self.done = False
        self.event: Event | None = None
        self.value = 0


async def _bare_runner(backend: Backend, outcome: _RunnerOutcome, key: int) -> None:
    with backend.new_scope():
        outcome.value = key
    outcome.done = True
    if outcome.event is not None:
        outcome.event.set()


async def runner_alone(key: int) -> int:
    """What every miss pays before any caching: start a runner task (eagerly where
    Python allows) that returns *key* inside a cancel scope, and wait for it on an
    event if it has not finished at once. No key, no lock, no store, no counters."""
    run, backend = current_run()
    outcome = _RunnerOutcome()
    backend.start(run, True, _bare_runner, backend, outcome, key)
    if not outcome.done:
        outcome.event = backend.new_event()
        await outcome.event.wait()
    return outcome.value


async def prepare_runner_alone(settings: Settings) -> Trial:
    """The floor of this library's miss: the runner alone, as many calls as a miss row."""
    keys = list(range(settings.miss_calls))

    async def trial() -> Measurement:
        return await timed_loop(runner_alone, keys)

    return trial


BASELINE: Final = "await"
MISS_LABEL: Final = "miss (maxsize=None, fresh keys)"
MISS_SUSPEND_LABEL: Final = "miss, function suspends once"
ASYNCIO_ONLY: Final = ("asyncio",)

# In the order of the table; the rows of one group stay together.
CASES: Final = (
    Case(BASELINE, "plain await, uncached (baseline)", prepare_plain_await, group=""),
    Case(
        "burst-uncached",
        f"burst, {BURST_CALLERS} callers, no cache (baseline)",
        prepare_burst_uncached,
        group="",
    ),
    Case(
        "runner-alone",
        "runner alone, the floor of a miss",
        prepare_runner_alone,
        group="",
    ),
    Case("hit", "hit", prepare_hit),
    Case("hit-ttl", "hit, ttl", prepare_hit_ttl),
    Case("hit-stale", "hit, stale, starting its refresh", prepare_stale_hit),
    Case("hit-small", f"hit, {SMALL_ENTRIES} stored", prepare_small_hit),
    Case("hit-large", "hit, {large:,} stored", prepare_large_hit),
    Case("miss", MISS_LABEL, prepare_miss),
    Case("miss-suspend", MISS_SUSPEND_LABEL, prepare_miss_suspend),
    Case("miss-evict", "miss with eviction (maxsize=128)", prepare_miss_evict),
    Case("burst", f"burst, {BURST_CALLERS} callers on one key", prepare_burst),
    Case("peer-hit", "hit", prepare_peer_hit, group=PEER),
    Case("peer-miss", MISS_LABEL, prepare_peer_miss, group=PEER),
    Case("peer-miss-suspend", MISS_SUSPEND_LABEL, prepare_peer_miss_suspend, group=PEER),
    Case(
        "reference-hit",
        "hit",
        prepare_reference_hit,
        group=REFERENCE,
        backends=ASYNCIO_ONLY,
        reference=True,
    ),
    Case(
        "reference-miss",
        MISS_LABEL,
        prepare_reference_miss,
        group=REFERENCE,
        backends=ASYNCIO_ONLY,
        reference=True,
    ),
    Case(
        "reference-miss-suspend",
        MISS_SUSPEND_LABEL,
        prepare_reference_miss_suspend,
        group=REFERENCE,
        backends=ASYNCIO_ONLY,
        reference=True,
    ),
)

CASES_BY_SLUG: Final = {case.slug: case for case in CASES}
