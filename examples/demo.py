"""A tour of ``@alru_cache`` in about three seconds, on asyncio and then on trio.

A fake remote service answers after LATENCY seconds (a sleep, no network). The same
cached functions are then called the way an application would call them: once, again,
by 100 concurrent tasks, after their TTL has run out, and by callers of which one is
cancelled. Run it with ``python examples/demo.py`` after ``pip install ".[trio]"``.
"""

from __future__ import annotations

import importlib.util
import time
from collections import Counter

import anyio

from async_lru import alru_cache

LATENCY = 0.2  # seconds the fake service takes to answer
TTL = 0.2  # seconds a cached exchange rate stays valid

# How many times the slow service really ran, per request.
service_calls: Counter[str] = Counter()


@alru_cache(maxsize=128)
async def fetch_user(user_id: int) -> str:
    """Look a user up in the slow service."""
    service_calls[f"user {user_id}"] += 1
    await anyio.sleep(LATENCY)
    return f"user-{user_id}"


@alru_cache(maxsize=32, ttl=TTL)
async def exchange_rate(currency: str) -> float:
    """Ask the slow service for a rate that may change, so cache it for TTL seconds."""
    service_calls[f"rate {currency}"] += 1
    await anyio.sleep(LATENCY)
    return 1.08


def times(count: int) -> str:
    """Return "1 time" or "N times"."""
    return "1 time" if count == 1 else f"{count} times"


def ms_since(start: float) -> str:
    """Return the time elapsed since *start* as a short string."""
    return f"{(time.perf_counter() - start) * 1000:4.0f} ms"


async def tour(backend: str) -> None:
    """Show each behaviour once, with one line of output for each."""
    print(f"== {backend} ==")
    fetch_user.cache_clear()
    exchange_rate.cache_clear()
    service_calls.clear()

    start = time.perf_counter()
    user = await fetch_user(1)
    print(
        f"first call:      {user!r} in {ms_since(start)}, "
        f"service ran {times(service_calls['user 1'])}"
    )

    start = time.perf_counter()
    user = await fetch_user(1)
    print(
        f"repeat call:     {user!r} in {ms_since(start)}, "
        f"service ran {times(service_calls['user 1'])} (cached)"
    )

    results: list[str] = []

    async def call_and_keep(user_id: int) -> None:
        results.append(await fetch_user(user_id))

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(call_and_keep, 2)
    print(
        f"100 concurrent:  {len(results)} results in {ms_since(start)}, "
        f"service ran {times(service_calls['user 2'])}"
    )

    await exchange_rate("EUR")
    await exchange_rate("EUR")
    before = service_calls["rate EUR"]
    await anyio.sleep(TTL + 0.05)
    await exchange_rate("EUR")
    print(
        f"ttl={TTL} s:       service ran {times(before)} for 2 calls, "
        f"{times(service_calls['rate EUR'])} once the ttl ran out"
    )

    delivered: list[str] = []
    cancelled: list[bool] = []

    async def impatient_caller() -> None:
        with anyio.move_on_after(LATENCY / 4) as scope:
            await fetch_user(3)
        cancelled.append(scope.cancelled_caught)

    async def patient_caller() -> None:
        delivered.append(await fetch_user(3))

    async with anyio.create_task_group() as tg:
        tg.start_soon(impatient_caller)  # it calls first, so its call starts the service
        await anyio.sleep(0.01)
        tg.start_soon(patient_caller)
        tg.start_soon(patient_caller)
    print(
        f"cancel 1 of 3:   {cancelled.count(True)} cancelled, the other {len(delivered)} "
        f"got {delivered[0]!r}; service ran {times(service_calls['user 3'])} "
        "(it ran on for the others)"
    )

    print(f"cache_info():    {fetch_user.cache_info()}")


async def stored_results_outlive_the_run() -> None:
    """Show that a result stored by another event loop (and backend) is returned at once."""
    start = time.perf_counter()
    user = await fetch_user(2)
    print("== asyncio again ==")
    print(
        f"stored by trio:  {user!r} in {ms_since(start)}, "
        f"service ran {times(service_calls['user 2'])} in all"
    )


def main() -> None:
    """Run the tour on asyncio, then on trio, then reuse trio's results on asyncio."""
    began = time.perf_counter()
    anyio.run(tour, "asyncio", backend="asyncio")
    if importlib.util.find_spec("trio") is None:
        print('trio is not installed: pip install "async-lru-anyio[trio]" for the trio half')
        return
    anyio.run(tour, "trio", backend="trio")
    anyio.run(stored_results_outlive_the_run, backend="asyncio")
    print(f"done in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
