"""A small asyncio service: a cached profile lookup shared by concurrent request handlers.

The "database" is a dict behind a sleep. Request handlers run concurrently with
``asyncio.gather``; they all go through ``get_profile``, which reaches the database
once per user however many requests ask at the same time. An update writes to the
database, then invalidates that user's cached profile, so the next request sees it.
At shutdown the cache is closed.

Run it with ``python examples/asyncio_service.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter

from async_lru import CacheClosedError, alru_cache

DB_LATENCY = 0.05  # seconds one database query takes


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
        await asyncio.sleep(DB_LATENCY)
        return Profile(user_id, self.rows[user_id])

    async def save(self, profile: Profile) -> None:
        """Write one profile."""
        await asyncio.sleep(DB_LATENCY)
        self.rows[profile.user_id] = profile.display_name


db = ProfileDatabase()


@alru_cache(maxsize=1024, ttl=300)
async def get_profile(user_id: int) -> Profile:
    """Return a user's profile, from the cache when it holds one."""
    return await db.load(user_id)


async def handle_request(user_id: int) -> str:
    """Answer one request: a greeting that needs the user's profile."""
    profile = await get_profile(user_id)
    return f"Hello, {profile.display_name}!"


async def rename_user(user_id: int, display_name: str) -> None:
    """Update a profile: write it, then drop the cached copy so readers see the change."""
    await db.save(Profile(user_id, display_name))
    get_profile.cache_invalidate(user_id)


async def serve(user_ids: list[int]) -> list[str]:
    """Handle one request per entry of *user_ids*, all at the same time."""
    return await asyncio.gather(*(handle_request(user_id) for user_id in user_ids))


async def main() -> None:
    """Serve two bursts of requests, rename a user, serve again, then shut down."""
    burst = [1, 2, 3] * 30  # 90 concurrent requests for 3 users
    replies = await serve(burst)
    print(f"burst 1: {len(replies)} requests for 3 users, {db.queries.total()} database queries")

    replies = await serve(burst)
    print(f"burst 2: {len(replies)} requests, {db.queries.total()} database queries in all")

    await rename_user(2, "Grace Hopper")
    print(f"after rename: {await handle_request(2)} ({db.queries[2]} queries for user 2)")

    print(f"cache_info(): {get_profile.cache_info()}")

    await get_profile.cache_close()
    try:
        await handle_request(1)
    except CacheClosedError:
        print("after shutdown: CacheClosedError")


if __name__ == "__main__":
    asyncio.run(main())
