from dataclasses import dataclass

import anyio

from async_lru import alru_cache


@dataclass(frozen=True)
class User:
    user_id: int
    name: str


@alru_cache
async def fetch_user(user_id: int) -> User:
    return User(user_id, f"user {user_id}")


class Users:
    @alru_cache
    async def get(self, user_id: int) -> User:
        return await fetch_user(user_id)


async def main() -> None:
    user: User = await fetch_user(1)  # awaiting gives the function's return type
    removed: bool = fetch_user.cache_invalidate(1)  # takes the function's parameters
    same: User = await Users().get(1)  # a bound method: checked without self
    assert user == same
    assert removed
    # Each of these lines is rejected by mypy and pyright:
    #     await fetch_user("1")           # "1" is not an int
    #     fetch_user.cache_contains()     # user_id is missing
    #     name: int = (await fetch_user(1)).name


if __name__ == "__main__":
    anyio.run(main)
