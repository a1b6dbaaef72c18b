import trio

from async_lru import alru_cache


@alru_cache
async def lookup(name: str) -> str:
    await trio.sleep(0.1)  # a slow service
    return name.upper()


async def main() -> None:
    async with trio.open_nursery() as nursery:
        for _ in range(100):
            nursery.start_soon(lookup, "x")  # lookup runs once for the 100 calls
    print(await lookup("x"))  # X, from the cache
    print(lookup.cache_info())  # CacheInfo(hits=100, misses=1, maxsize=128, currsize=1)


if __name__ == "__main__":
    trio.run(main)
