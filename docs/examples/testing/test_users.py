"""Tests of users.py, each run on asyncio and on trio."""

from __future__ import annotations

import anyio
import pytest

from .users import database, user_name

# Hand every async test of this module to anyio's plugin. Setting
# anyio_mode = "auto" in pytest's configuration does the same for every module.
pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Start every test with an empty cache and a new query count."""
    user_name.cache_clear()
    database.queries = 0


async def test_concurrent_calls_share_one_query() -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(user_name, 1)
    assert database.queries == 1
    assert user_name.cache_info().hits == 9


async def test_a_second_call_is_served_from_the_cache() -> None:
    assert await user_name(2) == "user 2"
    assert await user_name(2) == "user 2"
    assert database.queries == 1


def test_a_stored_result_outlives_its_event_loop() -> None:
    # What happens between two tests: the next one runs in a new event loop,
    # perhaps of the other backend, and still finds what the last one stored.
    assert anyio.run(user_name, 3, backend="asyncio") == "user 3"
    assert anyio.run(user_name, 3, backend="trio") == "user 3"
    assert database.queries == 1
