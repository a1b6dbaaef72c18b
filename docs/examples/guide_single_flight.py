import anyio

from async_lru import alru_cache

calls: list[str] = []


@alru_cache
async def fetch(key: str) -> str:
    calls.append(key)
    await anyio.sleep(0.01)  # a slow service
    return key.upper()


async def main() -> None:
    results: list[str] = []

    async def request() -> None:
        results.append(await fetch("a"))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(request)

    assert results == ["A"] * 10
    assert calls == ["a"]  # ten concurrent calls, one computation
    info = fetch.cache_info()
    assert (info.hits, info.misses) == (9, 1)  # the first call is the miss

    assert await fetch("a") == "A"  # the stored result: another hit
    assert calls == ["a"]
    print(fetch.cache_info())  # CacheInfo(hits=10, misses=1, maxsize=128, currsize=1)


if __name__ == "__main__":
    anyio.run(main)
