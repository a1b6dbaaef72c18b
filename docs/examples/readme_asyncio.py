import asyncio

from async_lru import alru_cache


@alru_cache(maxsize=256, ttl=60)
async def fetch_user(user_id: int) -> dict[str, int]:
    await asyncio.sleep(0.1)  # a slow service
    return {"id": user_id}


async def main() -> None:
    users = await asyncio.gather(*(fetch_user(1) for _ in range(100)))
    assert users == [{"id": 1}] * 100
    print(fetch_user.cache_info())  # CacheInfo(hits=99, misses=1, maxsize=256, currsize=1)


if __name__ == "__main__":
    asyncio.run(main())
