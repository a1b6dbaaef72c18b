from contextvars import ContextVar

import anyio

from async_lru import alru_cache

request_id: ContextVar[str] = ContextVar("request_id", default="none")


@alru_cache
async def load(key: str) -> tuple[str, int]:
    seen = request_id.get()  # the first caller's value, from a copy of its context
    request_id.set("set inside load")  # changes that copy only
    return seen, anyio.get_current_task().id


async def main() -> None:
    request_id.set("request 1")
    seen, task_id = await load("a")
    assert seen == "request 1"
    assert request_id.get() == "request 1"  # the caller's own value is unchanged
    assert task_id != anyio.get_current_task().id  # load ran in a task of its own
    print(f"load saw {seen!r} and ran in task {task_id}")


if __name__ == "__main__":
    anyio.run(main)
