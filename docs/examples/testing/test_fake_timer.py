"""A TTL test that takes no time, on both backends: the cache reads a fake clock."""

from __future__ import annotations

import pytest

from async_lru import alru_cache

pytestmark = pytest.mark.anyio


class FakeClock:
    """A timer for ``timer=``: it stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def test_result_expires_after_its_ttl() -> None:
    clock = FakeClock()
    calls = 0

    @alru_cache(ttl=60, timer=clock)
    async def exchange_rate(currency: str) -> int:
        nonlocal calls
        calls += 1
        return calls

    assert await exchange_rate("EUR") == 1
    clock.advance(59)
    assert await exchange_rate("EUR") == 1  # stored at 0, fresh until 60
    assert exchange_rate.cache_contains("EUR")
    clock.advance(2)
    assert not exchange_rate.cache_contains("EUR")
    assert await exchange_rate("EUR") == 2  # expired: computed again
