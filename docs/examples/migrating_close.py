import asyncio

from async_lru import CacheClosedError, alru_cache


@alru_cache
async def fetch(key: str) -> str:
    await asyncio.sleep(3600)  # still running at shutdown
    return key


async def handle(key: str) -> str:
    try:
        return await fetch(key)
    except CacheClosedError:  # with async-lru: asyncio.CancelledError
        return "shutting down"


async def main() -> None:
    request = asyncio.create_task(handle("a"))
    await asyncio.sleep(0)  # the request starts the computation
    await fetch.cache_close()  # at shutdown: stops it
    assert await request == "shutting down"


if __name__ == "__main__":
    asyncio.run(main())
