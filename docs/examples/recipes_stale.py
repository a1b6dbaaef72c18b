from dataclasses import dataclass

import anyio
import anyio.lowlevel

from async_lru import alru_cache


@dataclass(frozen=True)
class Rates:
    version: int  # how many answers the service had given
    usd: float


class RatesService:
    """Stands for a slow service; each of its answers is a new version."""

    def __init__(self) -> None:
        self.answers = 0
        self.down = False

    async def fetch(self, currency: str) -> Rates:
        await anyio.lowlevel.checkpoint()  # where a real service takes its time
        if self.down:
            raise ConnectionError("rates service unavailable")
        self.answers += 1
        return Rates(self.answers, 1.08)


class Clock:
    """A clock that moves only when told to, so that the example need not wait."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


service = RatesService()
clock = Clock()  # an application leaves timer= out: time.monotonic


@alru_cache(maxsize=1024, ttl=60, stale=600, timer=clock)
async def exchange_rates(currency: str) -> Rates:
    return await service.fetch(currency)


async def main() -> None:
    assert (await exchange_rates("EUR")).version == 1  # the first call waits

    clock.now = 100  # past the ttl (60), within the stale window (until 660)
    assert (await exchange_rates("EUR")).version == 1  # the stale value, at once
    await anyio.wait_all_tasks_blocked()  # meanwhile the refresh ran
    assert service.answers == 2
    assert (await exchange_rates("EUR")).version == 2  # fresh until 160

    clock.now = 200
    service.down = True
    assert (await exchange_rates("EUR")).version == 2  # its refresh fails...
    await anyio.wait_all_tasks_blocked()
    service.down = False
    assert (await exchange_rates("EUR")).version == 2  # ...the stale value stays
    await anyio.wait_all_tasks_blocked()  # and this call's refresh succeeds
    assert (await exchange_rates("EUR")).version == 3  # fresh until 260

    clock.now = 1000  # past 260 + 600: expired, this caller waits
    assert (await exchange_rates("EUR")).version == 4
    info = exchange_rates.cache_info()
    print(info)
    assert (info.hits, info.misses) == (5, 2)


if __name__ == "__main__":
    anyio.run(main)
