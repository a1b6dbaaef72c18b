import anyio

from async_lru import alru_cache


async def main() -> None:
    started = anyio.Event()
    release = anyio.Event()
    runs = 0

    @alru_cache
    async def fetch(key: str) -> str:
        nonlocal runs
        runs += 1
        started.set()
        await release.wait()  # the slow part
        return key.upper()

    results: list[str] = []

    async def request(scope: anyio.CancelScope) -> None:
        with scope:
            results.append(await fetch("a"))

    first = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(request, first)  # starts the computation
        await started.wait()
        tg.start_soon(request, anyio.CancelScope())  # joins it
        await anyio.wait_all_tasks_blocked()
        first.cancel()  # the first caller gives up, as on a timeout
        await anyio.wait_all_tasks_blocked()
        assert first.cancelled_caught
        assert not results  # the computation runs on for the other caller
        release.set()

    assert results == ["A"]
    assert runs == 1


if __name__ == "__main__":
    anyio.run(main)
