import anyio

from async_lru import alru_cache


async def main() -> None:
    release = anyio.Event()
    runs = 0

    @alru_cache
    async def fetch(key: str) -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        if runs == 1:
            raise ConnectionError("the service is down")
        return key.upper()

    failures: list[str] = []

    async def request() -> None:
        try:
            await fetch("a")
        except ConnectionError as exc:
            failures.append(str(exc))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()  # all three wait for one computation
        release.set()

    assert failures == ["the service is down"] * 3  # every caller gets the error
    assert runs == 1
    assert not fetch.cache_contains("a")  # the error is not stored
    assert await fetch("a") == "A"  # the next call runs the function again
    assert runs == 2


if __name__ == "__main__":
    anyio.run(main)
