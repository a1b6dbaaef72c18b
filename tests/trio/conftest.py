"""Tests in this folder run on trio only."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "trio"
