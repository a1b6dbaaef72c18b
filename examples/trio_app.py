"""A small trio app: a cached profile lookup shared by request handlers in a nursery.

The same fake profile database as ``asyncio_service.py``, served the trio way: each
request is a task started in a nursery. One client is impatient and gives up after a
few milliseconds (``trio.move_on_after``); it happens to be the one whose call started
the query, and the handlers waiting for the same profile are not disturbed: the query
runs on for them, once, and all of them get the profile. An update invalidates the
cached copy, and the cache is closed at shutdown.

Run it with ``python examples/trio_app.py`` (trio comes with the ``trio`` extra).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import trio

from async_lru import CacheClosedError, alru_cache

DB_LATENCY = 0.05  # seconds one database query takes
PATIENCE = 0.025  # seconds the impatient client waits: it gives up mid-query
HEAD_START = 0.005  # seconds it comes before the others, well within its patience


@dataclasses.dataclass(frozen=True)
class Profile:
    """A user's profile. Frozen: every caller shares the cached object."""

    user_id: int
    display_name: str


class ProfileDatabase:
    """A fake database: a dict, with the latency of a real one."""

    def __init__(self) -> None:
        self.rows = {1: "Ada", 2: "Grace", 3: "Barbara"}
        self.queries: Counter[int] = Counter()

    async def load(self, user_id: int) -> Profile:
        """Read one profile."""
        self.queries[user_id] += 1
        await trio.sleep(DB_LATENCY)
        return Profile(user_id, self.rows[user_id])

    async def save(self, profile: Profile) -> None:
        """Write one profile."""
        await trio.sleep(DB_LATENCY)
        self.rows[profile.user_id] = profile.display_name


db = ProfileDatabase()


@alru_cache(maxsize=1024, ttl=300)
async def get_profile(user_id: int) -> Profile:
    """Return a user's profile, from the cache when it holds one."""
    return await db.load(user_id)


async def handle_request(user_id: int, replies: list[str]) -> None:
    """Answer one request: a greeting that needs the user's profile."""
    profile = await get_profile(user_id)
    replies.append(f"Hello, {profile.display_name}!")


async def handle_impatient_request(user_id: int, gave_up: list[int]) -> None:
    """Answer a request whose client disconnects after PATIENCE seconds."""
    with trio.move_on_after(PATIENCE) as scope:
        await get_profile(user_id)
    if scope.cancelled_caught:
        gave_up.append(user_id)


async def rename_user(user_id: int, display_name: str) -> None:
    """Update a profile: write it, then drop the cached copy so readers see the change."""
    await db.save(Profile(user_id, display_name))
    get_profile.cache_invalidate(user_id)


async def main() -> None:
    """Serve two bursts of requests, rename a user, serve again, then shut down."""
    replies: list[str] = []
    gave_up: list[int] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(handle_impatient_request, 1, gave_up)
        await trio.sleep(HEAD_START)  # so that its call is the one starting the query
        for user_id in [1, 2, 3] * 30:  # 90 concurrent requests for 3 users
            nursery.start_soon(handle_request, user_id, replies)
    # User 1 is queried once: the client that gave up had started the query, which ran
    # on for the handlers waiting for it; nobody else was cancelled.
    print(
        f"burst 1: {len(replies)} replies, {len(gave_up)} client gave up, "
        f"queries per user {dict(sorted(db.queries.items()))}"
    )

    replies.clear()
    async with trio.open_nursery() as nursery:
        for user_id in [1, 2, 3] * 30:
            nursery.start_soon(handle_request, user_id, replies)
    print(f"burst 2: {len(replies)} replies, {db.queries.total()} database queries in all")

    await rename_user(2, "Grace Hopper")
    replies.clear()
    await handle_request(2, replies)
    print(f"after rename: {replies[0]} ({db.queries[2]} queries for user 2)")

    print(f"cache_info(): {get_profile.cache_info()}")

    await get_profile.cache_close()
    try:
        await get_profile(1)
    except CacheClosedError:
        print("after shutdown: CacheClosedError")


if __name__ == "__main__":
    trio.run(main)
