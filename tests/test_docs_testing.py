"""The example project of the testing page (docs/examples/testing/) passes its tests.

It is a pytest project of its own, with its own pytest.ini and conftest.py, so it
runs in a pytest of its own: a subprocess whose configuration is that folder's, not
this project's. Plugins that happen to be installed are not loaded; anyio's is named,
as the folder's tests rely on it. Warnings are errors.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "docs" / "examples" / "testing"
_RESULT = re.compile(r"^(?P<test>\S+::\S+) (?P<outcome>[A-Z]+)", re.MULTILINE)

# Every test of the folder and its outcome: the backend-neutral ones once per backend.
EXPECTED = {
    "test_fake_timer.py::test_result_expires_after_its_ttl[asyncio]": "PASSED",
    "test_fake_timer.py::test_result_expires_after_its_ttl[trio]": "PASSED",
    "test_mock_clock.py::test_result_expires_after_its_ttl": "PASSED",
    "test_users.py::test_concurrent_calls_share_one_query[asyncio]": "PASSED",
    "test_users.py::test_concurrent_calls_share_one_query[trio]": "PASSED",
    "test_users.py::test_a_second_call_is_served_from_the_cache[asyncio]": "PASSED",
    "test_users.py::test_a_second_call_is_served_from_the_cache[trio]": "PASSED",
    "test_users.py::test_a_stored_result_outlives_its_event_loop": "PASSED",
}


def test_testing_examples_pass_on_both_backends() -> None:
    """pytest runs the example project's tests, each async one on asyncio and trio,
    and every one passes."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(PROJECT / "pytest.ini"),
        "--rootdir",
        str(PROJECT),
        "-p",
        "anyio",
        "-p",
        "no:cacheprovider",  # no .pytest_cache/ in the documentation's folder
        "-W",
        "error",
        "-v",
        "--color=no",
    ]
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    outcomes = {match["test"]: match["outcome"] for match in _RESULT.finditer(result.stdout)}
    assert outcomes == EXPECTED, output
    assert re.search(rf"^=+ {len(EXPECTED)} passed in ", result.stdout, re.MULTILINE), output
