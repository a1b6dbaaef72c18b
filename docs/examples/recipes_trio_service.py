from collections import Counter

import trio
import trio.testing

from async_lru import alru_cache

LATENCY = 0.1  # seconds the upstream service takes to answer
RATES = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0066}
lookups: Counter[str] = Counter()
cancelled: list[str] = []


# Expiry by trio's clock, so that a test can drive it with trio.testing.MockClock.
@alru_cache(maxsize=1024, ttl=60, timer=trio.current_time)
async def exchange_rate(currency: str) -> float:
    """Ask the slow upstream service for a rate."""
    lookups[currency] += 1
    try:
        await trio.sleep(LATENCY)
    except trio.Cancelled:
        cancelled.append(currency)
        raise
    return RATES[currency]


async def handle(currency: str, amount: int, replies: list[str]) -> None:
    """Answer one request: an amount in US dollars."""
    rate = await exchange_rate(currency)
    replies.append(f"{amount} {currency} = {amount * rate:.2f} USD")


async def handle_until_gone(client: trio.CancelScope, currency: str, replies: list[str]) -> None:
    """Answer a request whose client may go away: cancelling *client* stops it."""
    with client:
        await handle(currency, 1, replies)


async def main() -> None:
    replies: list[str] = []
    # Ten requests at once: one lookup. The cache runs it in a task of its own
    # (a trio system task), so it needs no nursery from the service.
    async with trio.open_nursery() as nursery:
        for amount in range(1, 11):
            nursery.start_soon(handle, "EUR", amount, replies)
    assert len(replies) == 10
    assert lookups["EUR"] == 1

    # The client whose request started the lookup goes away; the lookup goes
    # on for the four requests that wait for it too, and runs once.
    replies.clear()
    gone = trio.CancelScope()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(handle_until_gone, gone, "GBP", replies)
        await trio.testing.wait_all_tasks_blocked()  # its lookup has started
        for amount in range(2, 6):
            nursery.start_soon(handle, "GBP", amount, replies)
        await trio.testing.wait_all_tasks_blocked()  # the others wait for it
        gone.cancel()
    assert gone.cancelled_caught
    assert len(replies) == 4
    assert lookups["GBP"] == 1

    # When the last caller gives up, the lookup is cancelled with it: no work
    # outlives its callers, and nothing is stored.
    with trio.move_on_after(LATENCY / 10):
        await exchange_rate("JPY")
    assert cancelled == ["JPY"]
    assert not exchange_rate.cache_contains("JPY")

    print(f"{sum(lookups.values())} lookups: {exchange_rate.cache_info()}")
    await exchange_rate.cache_close()  # at shutdown


if __name__ == "__main__":
    trio.run(main)
