"""A TTL test that takes no time on trio: the cache reads trio's clock, which jumps."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from async_lru import alru_cache

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, object]]:
    # Replaces conftest.py's fixture in this module: trio only, with a mock clock
    # that jumps to the next deadline whenever every task waits.
    return "trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}


async def test_result_expires_after_its_ttl() -> None:
    calls = 0

    @alru_cache(ttl=60, timer=trio.current_time)
    async def exchange_rate(currency: str) -> int:
        nonlocal calls
        calls += 1
        await trio.sleep(1)  # one second of the mock clock
        return calls

    start = trio.current_time()
    assert await exchange_rate("EUR") == 1  # stored at start + 1, fresh until start + 61
    await trio.sleep(58)
    assert await exchange_rate("EUR") == 1
    await trio.sleep(2)
    assert await exchange_rate("EUR") == 2  # expired: computed again
    assert trio.current_time() - start == 62  # of the mock clock; no real time passed
