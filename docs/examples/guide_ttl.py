import anyio

from async_lru import alru_cache


class Clock:
    """A clock that moves only when told to, so that the example need not sleep."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


clock = Clock()
runs: list[float] = []  # when each computation ran


@alru_cache(ttl=60, timer=clock)
async def rate(currency: str) -> int:
    runs.append(clock.now)
    return len(runs)  # the "rate" is the number of the run that computed it


@alru_cache(ttl=60, jitter=30, timer=clock)
async def spread(key: str) -> str:
    return key


async def main() -> None:
    assert await rate("EUR") == 1  # stored at 0: returned until 60
    clock.now = 59
    assert await rate("EUR") == 1  # a hit, which does not move the deadline
    clock.now = 60
    assert not rate.cache_contains("EUR")  # expired at its deadline
    assert await rate("EUR") == 2  # computed again: returned until 120
    assert rate.cache_info().misses == 2

    clock.now = 1000
    await spread("a")  # stored at 1000 for 60 seconds plus up to 30 more
    clock.now = 1059
    assert spread.cache_contains("a")
    clock.now = 1090
    assert not spread.cache_contains("a")


if __name__ == "__main__":
    anyio.run(main)
