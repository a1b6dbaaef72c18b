from collections.abc import Awaitable

import anyio

from async_lru import alru_cache


@alru_cache
async def countdown(n: int) -> int:
    if n == 3:
        return await countdown(n)  # a bug: the same arguments again
    return n if n == 0 else await countdown(n - 1)


@alru_cache
async def parent_of(node: str) -> str:
    return await child_of(node)


@alru_cache
async def child_of(node: str) -> str:
    return await parent_of(node)  # parent_of(node) waits for this call: a cycle


@alru_cache
async def shutdown(reason: str) -> None:
    await shutdown.cache_close(wait=True)  # would wait for this very computation


async def expect_runtime_error(call: Awaitable[object]) -> None:
    try:
        await call
    except RuntimeError as exc:
        print(exc)
    else:
        raise AssertionError("no RuntimeError")


async def main() -> None:
    assert await countdown(2) == 0  # distinct arguments at every level: fine
    await expect_runtime_error(countdown(3))
    await expect_runtime_error(parent_of("x"))
    await expect_runtime_error(shutdown("now"))


if __name__ == "__main__":
    anyio.run(main)
