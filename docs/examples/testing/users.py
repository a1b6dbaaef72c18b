"""The code under test: a cached lookup in front of a slow database."""

from __future__ import annotations

import anyio

from async_lru import alru_cache


class Database:
    """Stands for a database client; counts the queries that it answers."""

    def __init__(self) -> None:
        self.queries = 0

    async def load_name(self, user_id: int) -> str:
        self.queries += 1
        await anyio.sleep(0.01)  # the round trip
        return f"user {user_id}"


database = Database()


@alru_cache(maxsize=1024)
async def user_name(user_id: int) -> str:
    return await database.load_name(user_id)
