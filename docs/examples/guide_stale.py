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


@alru_cache(ttl=60, stale=600, timer=clock)
async def rate(currency: str) -> int:
    runs.append(clock.now)
    return len(runs)


async def main() -> None:
    assert await rate("EUR") == 1  # fresh until 60, then stale until 660
    clock.now = 100
    assert await rate("EUR") == 1  # the stale value at once, and a refresh starts
    await anyio.wait_all_tasks_blocked()  # let the refresh finish
    assert runs == [0, 100]
    assert await rate("EUR") == 2  # the refreshed value: fresh until 160

    clock.now = 1000  # past 160 + 600: expired
    assert await rate("EUR") == 3  # this caller waits for the computation
    info = rate.cache_info()
    assert (info.hits, info.misses) == (2, 2)  # a stale value served counts as a hit


if __name__ == "__main__":
    anyio.run(main)
