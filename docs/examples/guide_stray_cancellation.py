import asyncio

from async_lru import alru_cache


@alru_cache
async def fetch(key: str) -> str:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    loop.call_soon(answer.cancel)  # somebody else cancels the future it awaits
    return await answer


async def main() -> None:
    error: RuntimeError | None = None
    try:
        await fetch("a")
    except RuntimeError as exc:  # not a CancelledError: nobody cancelled this caller
        error = exc
    assert error is not None
    assert isinstance(error.__cause__, asyncio.CancelledError)
    print(error)


if __name__ == "__main__":
    asyncio.run(main())
