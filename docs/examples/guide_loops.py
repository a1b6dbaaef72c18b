import threading

import anyio
import anyio.to_thread

from async_lru import alru_cache

runs: list[str] = []  # the thread of each computation
first_started = threading.Event()
release = threading.Event()


@alru_cache
async def lookup(name: str) -> str:
    runs.append(threading.current_thread().name)
    if len(runs) == 1:
        first_started.set()
        await anyio.to_thread.run_sync(release.wait)  # until the other loop is done
    return name.upper()


def in_other_loops() -> None:
    """Run in a worker thread: event loops of both backends, one after the other."""
    first_started.wait()
    # Another thread's loop gets a computation of its own.
    assert anyio.run(lookup, "a", backend="trio") == "A"
    release.set()


async def main() -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, in_other_loops)
        assert await lookup("a") == "A"
    assert len(runs) == 2  # one computation in each loop that asked
    assert runs[0] != runs[1]  # each in its own loop's thread

    # A stored result is a plain value: any loop, of either backend, gets it.
    def stored_elsewhere() -> str:
        return anyio.run(lookup, "a", backend="asyncio")

    assert await anyio.to_thread.run_sync(stored_elsewhere) == "A"
    assert len(runs) == 2
    print(lookup.cache_info())  # CacheInfo(hits=1, misses=2, maxsize=128, currsize=1)


if __name__ == "__main__":
    anyio.run(main)
