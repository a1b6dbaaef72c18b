"""Run each program of examples/ as a user would, and check what it prints."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["asyncio_service.py", "trio_app.py"]


class Run(NamedTuple):
    """What one run of an example did."""

    returncode: int
    stdout: str
    stderr: str


@functools.cache
def run_example(name: str) -> Run:
    """Run examples/*name* once per session, warnings as errors, against this tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "examples" / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def lines_starting(name: str, prefix: str) -> list[str]:
    """Return the lines of example *name*'s output that start with *prefix*."""
    return [line for line in run_example(name).stdout.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("name", ["demo.py", *SERVICES, "fastapi_app.py"])
def test_example_exits_with_status_zero_and_no_stderr(name: str) -> None:
    """The example ends with exit status 0, writes nothing to stderr and raises no warning."""
    run = run_example(name)
    assert (run.returncode, run.stderr) == (0, "")


def test_demo_tours_asyncio_then_trio() -> None:
    """The demo shows every step on asyncio, then on trio, then back on asyncio."""
    headers = lines_starting("demo.py", "== ")
    assert headers == ["== asyncio ==", "== trio ==", "== asyncio again =="]


def test_demo_first_call_runs_the_service() -> None:
    """The first call of each backend runs the slow service once."""
    lines = lines_starting("demo.py", "first call:")
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(r"first call: +'user-1' in +\d+ ms, service ran 1 time", line), line


def test_demo_repeat_call_is_served_from_the_cache() -> None:
    """A repeated call returns the same value without running the service again."""
    lines = lines_starting("demo.py", "repeat call:")
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(
            r"repeat call: +'user-1' in +\d+ ms, service ran 1 time \(cached\)", line
        )


def test_demo_hundred_concurrent_calls_run_the_function_once() -> None:
    """100 concurrent calls with one argument all get a result from one execution."""
    lines = lines_starting("demo.py", "100 concurrent:")
    assert len(lines) == 2
    for line in lines:
        assert re.fullmatch(r"100 concurrent: +100 results in +\d+ ms, service ran 1 time", line)


def test_demo_ttl_expiry_runs_the_function_again() -> None:
    """A call after the ttl has run out runs the service again; one before it does not."""
    lines = lines_starting("demo.py", "ttl=")
    expected = "service ran 1 time for 2 calls, 2 times once the ttl ran out"
    assert len(lines) == 2
    assert all(line.endswith(expected) for line in lines)


def test_demo_cancelled_caller_does_not_disturb_the_others() -> None:
    """Cancelling the caller whose call started the service leaves the service running
    once for the other callers, who get its result."""
    lines = lines_starting("demo.py", "cancel 1 of 3:")
    expected = (
        "1 cancelled, the other 2 got 'user-3'; service ran 1 time (it ran on for the others)"
    )
    assert len(lines) == 2
    assert all(expected in line for line in lines)


def test_demo_cache_info_counts_every_call_once() -> None:
    """cache_info() at the end of each backend's tour counts 102 hits and 3 misses."""
    lines = lines_starting("demo.py", "cache_info():")
    expected = "CacheInfo(hits=102, misses=3, maxsize=128, currsize=3)"
    assert len(lines) == 2
    assert all(line.endswith(expected) for line in lines)


def test_demo_result_stored_under_trio_is_returned_under_asyncio() -> None:
    """A result stored during the trio run is a hit in a later asyncio run."""
    lines = lines_starting("demo.py", "stored by trio:")
    assert len(lines) == 1
    assert re.fullmatch(
        r"stored by trio: +'user-2' in +\d+ ms, service ran 1 time in all", lines[0]
    )


def test_asyncio_service_queries_each_user_once_per_concurrent_burst() -> None:
    """90 concurrent requests for 3 users make 3 database queries."""
    lines = lines_starting("asyncio_service.py", "burst 1:")
    assert lines == ["burst 1: 90 requests for 3 users, 3 database queries"]


def test_asyncio_service_serves_a_second_burst_from_the_cache() -> None:
    """A second burst of the same requests makes no database query."""
    lines = lines_starting("asyncio_service.py", "burst 2:")
    assert lines == ["burst 2: 90 requests, 3 database queries in all"]


def test_trio_app_impatient_client_does_not_disturb_the_others() -> None:
    """The client that gives up is cancelled alone: the query it started runs once, and
    the 90 other requests get replies."""
    lines = lines_starting("trio_app.py", "burst 1:")
    expected = "burst 1: 90 replies, 1 client gave up, queries per user {1: 1, 2: 1, 3: 1}"
    assert lines == [expected]


def test_trio_app_serves_a_second_burst_from_the_cache() -> None:
    """A second burst of the same requests makes no database query."""
    lines = lines_starting("trio_app.py", "burst 2:")
    assert lines == ["burst 2: 90 replies, 3 database queries in all"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_shows_the_new_name_after_invalidation(name: str) -> None:
    """After a rename invalidates the cached profile, the next request queries it again."""
    lines = lines_starting(name, "after rename:")
    assert lines == ["after rename: Hello, Grace Hopper! (2 queries for user 2)"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("asyncio_service.py", "CacheInfo(hits=177, misses=4, maxsize=1024, currsize=3)"),
        ("trio_app.py", "CacheInfo(hits=178, misses=4, maxsize=1024, currsize=3)"),
    ],
)
def test_service_cache_info_counts_every_request(name: str, expected: str) -> None:
    """cache_info() counts each request once, as a hit or as a miss."""
    assert lines_starting(name, "cache_info():") == [f"cache_info(): {expected}"]


@pytest.mark.parametrize("name", SERVICES)
def test_service_refuses_calls_after_cache_close(name: str) -> None:
    """A call after cache_close() raises CacheClosedError."""
    assert lines_starting(name, "after shutdown:") == ["after shutdown: CacheClosedError"]


def test_fastapi_app_serves_concurrent_requests_with_one_query() -> None:
    """50 concurrent requests for one product get replies from one catalog query."""
    lines = lines_starting("fastapi_app.py", "50 concurrent requests:")
    assert lines == ["50 concurrent requests: {200: 50}, 1 catalog query"]


def test_fastapi_app_impatient_request_does_not_cost_the_others_their_reply() -> None:
    """The request that started the query gives up (504); the query runs on, once, for
    the 5 requests that joined it."""
    lines = lines_starting("fastapi_app.py", "1 impatient")
    assert lines == ["1 impatient and 5 patient requests: {504: 1, 200: 5}, 1 catalog query"]


def test_fastapi_app_shows_the_new_price_after_the_update() -> None:
    """The update invalidates the cached product: the next read queries the catalog."""
    lines = lines_starting("fastapi_app.py", "after the update")
    assert lines == ["after the update (200): 2199 cents, 2 catalog queries for product 1"]


def test_fastapi_app_cached_method_hits_on_the_one_repository() -> None:
    """20 review requests on the application's one repository: 1 miss, 19 hits."""
    lines = lines_starting("fastapi_app.py", "20 review requests:")
    expected = "CacheInfo(hits=19, misses=1, maxsize=1024, currsize=1)"
    assert lines == [f"20 review requests: {expected}"]


def test_fastapi_app_lifespan_closes_the_cache_at_shutdown() -> None:
    """The application's lifespan closes the cache when it ends."""
    assert lines_starting("fastapi_app.py", "after shutdown:") == ["after shutdown: closed=True"]


def test_fastapi_app_prints_what_the_recipes_page_shows() -> None:
    """The recipes page shows the example's output as it is."""
    page = (ROOT / "docs" / "recipes.rst").read_text()
    lines = run_example("fastapi_app.py").stdout.splitlines()
    assert lines
    shown = "\n".join(f"    {line}" for line in lines)
    assert f".. code-block:: text\n\n{shown}\n" in page
