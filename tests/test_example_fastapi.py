"""The FastAPI example application, through Starlette's test client, on asyncio and trio.

Each test imports a fresh copy of examples/fastapi_app.py, so that every test starts
with empty caches and services (the application closes its caches at shutdown, for
good). The client runs the application's lifespan in an event loop of its own; a
test that needs concurrent requests sends them from threads, and holds the catalog's
answer with a gate until it has seen every request wait.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import anyio
import pytest
from fastapi import FastAPI

from async_lru import CacheClosedError

with warnings.catch_warnings():
    # Starlette's test client prefers httpx2, which needs Python 3.11, to httpx, which
    # it still uses and for which it warns; both serve these tests alike.
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

Backend = Literal["asyncio", "trio"]
APP = Path(__file__).resolve().parent.parent / "examples" / "fastapi_app.py"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A fresh copy of the example application's module, with fast services."""
    name = "fastapi_app_under_test"
    spec = importlib.util.spec_from_file_location(name, APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CATALOG_LATENCY", 0.001)
    monkeypatch.setattr(module, "REVIEWS_LATENCY", 0.001)
    return module


def app_of(example: ModuleType) -> FastAPI:
    """The example's application."""
    app: FastAPI = example.app
    return app


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The backend on which the test client runs the application."""
    backend: Backend = request.param
    return backend


@pytest.fixture
def client(example: ModuleType, backend: Backend) -> Iterator[TestClient]:
    """A test client of the application, its lifespan started.

    (Not ``with TestClient(...) as client``: the type checkers, which check for Python
    3.10, cannot see what TestClient.__enter__ returns, as it is typed with
    typing.Self, new in 3.11.)
    """
    client = TestClient(app_of(example), backend=backend)
    with client:
        yield client


class Gate:
    """Holds the catalog's answers until the test opens it."""

    def __init__(self, client: TestClient) -> None:
        assert client.portal is not None  # the client's lifespan runs
        self._portal = client.portal
        self._event = self._portal.call(anyio.Event)

    def hold(self, example: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make the catalog wait for the gate before each query it answers."""
        fetch_product = example.catalog.fetch_product

        async def held(product_id: int) -> Any:
            await self._event.wait()
            return await fetch_product(product_id)

        monkeypatch.setattr(example.catalog, "fetch_product", held)

    def open(self) -> None:
        """Let the queries held so far, and all later ones, answer."""
        self._portal.call(self._event.set)


def wait_until(condition: Callable[[], bool]) -> None:
    """Wait until *condition* holds (the requests in threads have reached it)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the requests did not get there in 10 s"
        time.sleep(0.001)


def test_repeated_requests_are_served_from_the_cache(
    client: TestClient, example: ModuleType
) -> None:
    """Three requests for a product query the catalog once; the other two are hits."""
    replies = [client.get("/products/1") for _ in range(3)]
    assert [reply.status_code for reply in replies] == [200, 200, 200]
    assert {reply.json()["name"] for reply in replies} == {"kettle"}
    info = example.get_product.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 1, 1)
    assert example.catalog.queries[1] == 1


def test_an_unknown_product_is_404_and_not_cached(client: TestClient, example: ModuleType) -> None:
    """An error is never cached: each request for an unknown product asks the catalog."""
    assert [client.get("/products/99").status_code for _ in range(2)] == [404, 404]
    assert example.catalog.queries[99] == 2
    assert not example.get_product.cache_contains(99)


def test_concurrent_requests_run_one_catalog_query(
    client: TestClient, example: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 requests waiting at the same time for one product share one query."""
    gate = Gate(client)
    gate.hold(example, monkeypatch)
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = [pool.submit(client.get, "/products/2") for _ in range(20)]
        # Every request is in: one started the query, 19 joined it.
        wait_until(lambda: example.get_product.cache_info().hits == 19)
        assert example.get_product.cache_info().misses == 1
        gate.open()
        statuses = [reply.result().status_code for reply in replies]
    assert statuses == [200] * 20
    assert example.catalog.queries[2] == 1


def test_a_request_that_times_out_does_not_cancel_the_query_for_the_others(
    client: TestClient, example: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that gives up gets 504; the query runs on, once, for the request that
    still waits, and its result is stored for the next one."""
    gate = Gate(client)
    gate.hold(example, monkeypatch)
    with ThreadPoolExecutor(max_workers=1) as pool:
        patient: Future[Any] = pool.submit(client.get, "/products/1")
        wait_until(lambda: example.get_product.cache_info().misses == 1)
        assert client.get("/products/1", params={"max_wait": 0.05}).status_code == 504
        assert example.get_product.cache_contains(1)  # still in flight
        gate.open()
        assert patient.result().status_code == 200
    assert client.get("/products/1").status_code == 200
    assert example.catalog.queries[1] == 1
    info = example.get_product.cache_info()
    assert (info.hits, info.misses) == (2, 1)


def test_the_request_that_started_the_query_may_time_out(
    client: TestClient, example: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request whose call started the query gives up (504); the query is not
    cancelled with it but runs on, once, for the request that joined it."""
    gate = Gate(client)
    gate.hold(example, monkeypatch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # 0.5 s leaves the other request ample time to join the query first.
        impatient = pool.submit(client.get, "/products/1", params={"max_wait": 0.5})
        wait_until(lambda: example.get_product.cache_info().misses == 1)
        patient = pool.submit(client.get, "/products/1")
        wait_until(lambda: example.get_product.cache_info().hits == 1)
        assert impatient.result().status_code == 504
        assert example.get_product.cache_contains(1)  # still in flight
        gate.open()
        assert patient.result().status_code == 200
    assert example.catalog.queries[1] == 1
    assert example.get_product.cache_contains(1)  # stored


def test_a_price_update_invalidates_the_cached_product(
    client: TestClient, example: ModuleType
) -> None:
    """After a price update, the next read queries the catalog again and sees it."""
    assert client.get("/products/1").json()["price_cents"] == 2499
    reply = client.put("/products/1/price", json={"price_cents": 2199})
    assert reply.status_code == 200
    assert reply.json()["price_cents"] == 2199
    assert not example.get_product.cache_contains(1)
    assert client.get("/products/1").json()["price_cents"] == 2199
    assert example.catalog.queries[1] == 2


def test_an_invalid_price_is_refused_without_touching_the_cache(
    client: TestClient, example: ModuleType
) -> None:
    """A price update that fails validation (422) changes nothing."""
    client.get("/products/1")
    assert client.put("/products/1/price", json={"price_cents": 0}).status_code == 422
    assert example.get_product.cache_contains(1)


def test_the_cached_method_hits_on_the_applications_one_repository(
    client: TestClient, example: ModuleType
) -> None:
    """20 review requests use the repository that the lifespan created: 1 miss, 19 hits."""
    replies = [client.get("/products/1/reviews") for _ in range(20)]
    assert {reply.status_code for reply in replies} == {200}
    assert replies[0].json() == {"product_id": 1, "count": 4, "average": 4.25}
    info = example.ReviewRepository.summary.cache_info()
    assert (info.hits, info.misses) == (19, 1)
    assert example.app.state.reviews.service.queries[1] == 1


def test_shutdown_closes_the_caches(example: ModuleType, backend: Backend) -> None:
    """The lifespan's shutdown closes both caches: later calls raise CacheClosedError."""
    client = TestClient(app_of(example), backend=backend)
    with client:
        assert client.get("/products/1").status_code == 200
        assert not example.get_product.cache_parameters()["closed"]
    assert example.get_product.cache_parameters()["closed"]
    assert example.ReviewRepository.summary.cache_parameters()["closed"]
    with pytest.raises(CacheClosedError):
        anyio.run(example.get_product, 1, backend=backend)  # a hit is refused too


def test_shutdown_cancels_a_query_still_in_flight(
    example: ModuleType, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown does not wait for a catalog that never answers: the query still in
    flight is cancelled and its caller gets CacheClosedError."""
    client = TestClient(app_of(example), backend=backend)
    with client:
        assert client.portal is not None
        Gate(client).hold(example, monkeypatch)  # never opened
        call = client.portal.start_task_soon(example.get_product, 1)
        wait_until(lambda: example.get_product.cache_info().misses == 1)
    with pytest.raises(CacheClosedError):
        call.result(timeout=10)
    assert example.catalog.queries[1] == 0  # the catalog never answered
    assert example.get_product.cache_parameters()["tasks"] == 0
