import anyio

from async_lru import alru_cache


@alru_cache(maxsize=2)
async def square(n: int) -> int:
    return n * n


async def main() -> None:
    await square(1)
    await square(2)
    await square(1)  # a hit makes 1 the most recently used
    await square(3)  # the cache is full: 2, the least recently used, goes
    assert square.cache_contains(1)
    assert not square.cache_contains(2)
    assert square.cache_contains(3)

    # Computations in flight are never evicted, and currsize counts them.
    release = anyio.Event()

    @alru_cache(maxsize=1)
    async def slow(n: int) -> int:
        await release.wait()
        return n

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow, 1)
        tg.start_soon(slow, 2)
        await anyio.wait_all_tasks_blocked()
        assert slow.cache_info().currsize == 2  # above maxsize while both run
        assert slow.cache_contains(1)  # and a call slow(1) now would join the first
        release.set()
    assert slow.cache_info().currsize == 1  # one result stored, as maxsize says


if __name__ == "__main__":
    anyio.run(main)
