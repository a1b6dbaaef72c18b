import anyio

from async_lru import alru_cache


async def main() -> None:
    release = anyio.Event()
    runs = 0

    @alru_cache
    async def profile(user_id: int) -> str:
        nonlocal runs
        runs += 1
        run = runs
        await release.wait()
        return f"user {user_id}, run {run}"

    release.set()
    await profile(1)
    assert profile.cache_contains(1)  # changes no counter and no LRU order
    assert profile.cache_invalidate(1)  # True: there was an entry
    assert not profile.cache_invalidate(1)  # False: there is none now
    assert await profile(1) == "user 1, run 2"  # a new computation

    # Invalidating a computation in flight: its callers still get its result,
    # which is not stored, and a later call starts a new computation.
    release = anyio.Event()
    results: list[str] = []

    async def request() -> None:
        results.append(await profile(2))

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        assert profile.cache_invalidate(2)  # the profile changed meanwhile
        tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert sorted(results) == ["user 2, run 3", "user 2, run 4"]
    assert await profile(2) == "user 2, run 4"  # only the later result was stored

    print(profile.cache_info())  # CacheInfo(hits=1, misses=4, maxsize=128, currsize=2)
    print(profile.cache_parameters())
    # {'maxsize': 128, 'typed': False, 'tasks': 0, 'closed': False}
    profile.cache_clear()  # removes every entry and resets the counters
    assert profile.cache_info() == (0, 0, 128, 0)


if __name__ == "__main__":
    anyio.run(main)
