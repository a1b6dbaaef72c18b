"""Run every async test of this folder twice: on asyncio and on trio."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # request.param is typed Any: str() gives the fixture the type that it returns.
    return str(request.param)
