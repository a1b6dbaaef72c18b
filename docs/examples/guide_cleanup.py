import anyio

from async_lru import alru_cache

log: list[str] = []


class Connection:
    async def close(self) -> None:
        await anyio.sleep(0.01)  # a network round trip
        log.append("connection closed")


@alru_cache
async def unshielded(key: str) -> str:
    conn = Connection()
    try:
        await anyio.sleep_forever()
    finally:
        await conn.close()  # cancelled again: the connection is not closed
    return key


@alru_cache
async def shielded(key: str) -> str:
    conn = Connection()
    try:
        await anyio.sleep_forever()
    finally:
        with anyio.CancelScope(shield=True):
            await conn.close()  # runs to its end
    return key


async def main() -> None:
    with anyio.move_on_after(0.01):
        await unshielded("a")
    assert log == []

    with anyio.move_on_after(0.01):
        await shielded("a")
    assert log == ["connection closed"]


if __name__ == "__main__":
    anyio.run(main)
