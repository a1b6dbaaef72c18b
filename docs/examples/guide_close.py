import anyio

from async_lru import CacheClosedError, alru_cache

log: list[str] = []


@alru_cache
async def report(day: str) -> str:
    try:
        await anyio.sleep_forever()  # a report that takes long
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.01)  # shielded cleanup runs to its end
            log.append("report cleaned up")
    return day


@alru_cache
async def summary(day: str) -> str:
    await anyio.sleep(0.01)
    return f"summary of {day}"


async def main() -> None:
    errors: list[CacheClosedError] = []

    async def request() -> None:
        try:
            await report("monday")
        except CacheClosedError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        await report.cache_close()  # stops the computation and waits for it to unwind
        assert log == ["report cleaned up"]
    assert len(errors) == 1  # its caller gets CacheClosedError

    assert report.cache_parameters()["closed"]

    # With wait=True, computations in flight finish and store their results.
    async with anyio.create_task_group() as tg:
        tg.start_soon(summary, "monday")
        await anyio.wait_all_tasks_blocked()
        await summary.cache_close(wait=True)
    assert summary.cache_contains("monday")  # stored, yet a call is refused:
    try:
        await summary("monday")
    except CacheClosedError as exc:
        print(exc)  # alru_cache is closed for <function summary at ...>
    else:
        raise AssertionError("a closed cache returned a result")


if __name__ == "__main__":
    anyio.run(main)
