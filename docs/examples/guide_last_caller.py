import anyio

from async_lru import alru_cache

log: list[str] = []


@alru_cache
async def query(key: str) -> str:
    try:
        await anyio.sleep_forever()  # a query that never answers
    finally:
        log.append("query cleaned up")
    return key


async def main() -> None:
    with anyio.move_on_after(0.05):  # the only caller's timeout
        await query("a")
    log.append("caller moved on")

    # The caller went on only once the function had unwound.
    assert log == ["query cleaned up", "caller moved on"]
    assert not query.cache_contains("a")  # nothing stored: the next call starts anew


if __name__ == "__main__":
    anyio.run(main)
