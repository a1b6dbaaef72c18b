import anyio

from async_lru import alru_cache


@alru_cache
async def query(key: str) -> str:
    await anyio.sleep(0.2)  # the slow backend
    return key.upper()


async def request(served: list[str]) -> None:
    with anyio.move_on_after(0.15):  # the client's timeout
        served.append(await query("k"))


async def main() -> None:
    served: list[str] = []
    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(request, served)
            await anyio.sleep(0.1)
    print(len(served), query.cache_info())  # 7 CacheInfo(hits=7, misses=1, ...)


if __name__ == "__main__":
    anyio.run(main)
