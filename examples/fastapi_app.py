"""A FastAPI application in front of slow services, with ``@alru_cache``.

The catalog and review services stand for remote services (an HTTP API, a database):
dicts behind a sleep. The application caches what it reads from them:

- ``GET /products/{id}`` calls ``get_product``, a cached module-level function.
  Concurrent requests for one product share one query. A request waits at most
  ``max_wait`` seconds (504 after that); the query goes on for the requests that still
  wait for it, and its result is stored for the next ones.
- ``PUT /products/{id}/price`` writes to the catalog, then invalidates the cached
  product, so that the next read sees the new price.
- ``GET /products/{id}/reviews`` calls a cached method of ``ReviewRepository``. The
  lifespan creates one repository for the application and every request uses it: the
  instance is part of the cache key, so a new instance per request would never hit.
- At shutdown the lifespan closes both caches: queries still in flight are cancelled
  and later calls raise ``CacheClosedError``.

Serve it with any ASGI server, for example ``uvicorn --app-dir examples fastapi_app:app``
(uvicorn is not needed to import this module). ``python examples/fastapi_app.py``
drives it in-process, as clients would, through httpx's ASGI transport.
"""

import dataclasses
from collections import Counter
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from async_lru import alru_cache

CATALOG_LATENCY = 0.2  # seconds the catalog service takes to answer
REVIEWS_LATENCY = 0.2  # seconds the review service takes to answer


@dataclasses.dataclass(frozen=True)
class Product:
    """A product. Frozen: every request shares the cached object."""

    id: int
    name: str
    price_cents: int


@dataclasses.dataclass(frozen=True)
class ReviewSummary:
    """How many reviews a product has, and their average rating."""

    product_id: int
    count: int
    average: float


class PriceUpdate(BaseModel):
    """The body of a price update."""

    price_cents: int = Field(gt=0)


class ProductNotFoundError(LookupError):
    """The catalog has no product with this id."""


class CatalogService:
    """A slow catalog service: a dict behind a sleep, counting its queries."""

    def __init__(self) -> None:
        self.products = {
            1: Product(1, "kettle", 2499),
            2: Product(2, "teapot", 1899),
        }
        self.queries: Counter[int] = Counter()

    async def fetch_product(self, product_id: int) -> Product:
        """Read one product."""
        self.queries[product_id] += 1
        await anyio.sleep(CATALOG_LATENCY)
        try:
            return self.products[product_id]
        except KeyError:
            raise ProductNotFoundError(product_id) from None

    async def set_price(self, product_id: int, price_cents: int) -> Product:
        """Change a product's price and return the product as stored."""
        await anyio.sleep(CATALOG_LATENCY)
        try:
            product = self.products[product_id]
        except KeyError:
            raise ProductNotFoundError(product_id) from None
        product = dataclasses.replace(product, price_cents=price_cents)
        self.products[product_id] = product
        return product


class ReviewService:
    """A slow review service: ratings behind a sleep, counting its queries."""

    def __init__(self) -> None:
        self.ratings = {1: [5, 4, 5, 3], 2: [4]}
        self.queries: Counter[int] = Counter()

    async def fetch_ratings(self, product_id: int) -> list[int]:
        """Read a product's ratings."""
        self.queries[product_id] += 1
        await anyio.sleep(REVIEWS_LATENCY)
        return list(self.ratings.get(product_id, []))


catalog = CatalogService()


@alru_cache(maxsize=1024, ttl=60)
async def get_product(product_id: int) -> Product:
    """Return a product; concurrent calls for one id share one catalog query."""
    return await catalog.fetch_product(product_id)


class ReviewRepository:
    """Reads review summaries through a review service.

    The application keeps one instance (see ``lifespan``): the instance is part of
    the key of the cached method, so only calls on the same instance share results.
    """

    def __init__(self, service: ReviewService) -> None:
        self.service = service

    @alru_cache(maxsize=1024, ttl=300)
    async def summary(self, product_id: int) -> ReviewSummary:
        """Return the number of reviews of a product and their average rating."""
        ratings = await self.service.fetch_ratings(product_id)
        average = round(sum(ratings) / len(ratings), 2) if ratings else 0.0
        return ReviewSummary(product_id, len(ratings), average)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
    """Create the application's one review repository; close the caches at shutdown."""
    app.state.reviews = ReviewRepository(ReviewService())
    yield
    # Cancel the queries still in flight; later calls raise CacheClosedError.
    await get_product.cache_close()
    await ReviewRepository.summary.cache_close()


app = FastAPI(title="catalog", lifespan=lifespan)


def review_repository(request: Request) -> ReviewRepository:
    """The application's review repository, as a dependency of the endpoints."""
    repository: ReviewRepository = request.app.state.reviews
    return repository


Reviews = Annotated[ReviewRepository, Depends(review_repository)]


@app.get("/products/{product_id}")
async def read_product(
    product_id: int, max_wait: Annotated[float, Query(gt=0, le=30)] = 5.0
) -> Product:
    """Return a product, waiting at most *max_wait* seconds for the catalog."""
    with anyio.move_on_after(max_wait):
        try:
            return await get_product(product_id)
        except ProductNotFoundError:
            raise HTTPException(404, f"no product {product_id}") from None
    # Only this request gives up: the query runs on for the others that wait for it.
    raise HTTPException(504, "the catalog did not answer in time")


@app.put("/products/{product_id}/price")
async def update_price(product_id: int, update: PriceUpdate) -> Product:
    """Change a product's price; the next read of the product sees it."""
    try:
        product = await catalog.set_price(product_id, update.price_cents)
    except ProductNotFoundError:
        raise HTTPException(404, f"no product {product_id}") from None
    # Drop the cached copy, and a query still in flight, which may predate the write.
    get_product.cache_invalidate(product_id)
    return product


@app.get("/products/{product_id}/reviews")
async def read_reviews(product_id: int, reviews: Reviews) -> ReviewSummary:
    """Return a product's review summary."""
    return await reviews.summary(product_id)


async def main() -> None:
    """Send the application requests as clients would, and print what happened."""
    import httpx  # needed for this tour only, not to serve the application

    statuses: Counter[int] = Counter()
    transport = httpx.ASGITransport(app=app)
    base_url = "http://catalog.test"

    async with lifespan(app), httpx.AsyncClient(transport=transport, base_url=base_url) as client:

        async def get(path: str) -> None:
            statuses[(await client.get(path)).status_code] += 1

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(get, "/products/1")
        print(f"50 concurrent requests: {dict(statuses)}, {catalog.queries[1]} catalog query")

        statuses.clear()
        async with anyio.create_task_group() as tg:
            # This request starts the query, then gives up before it ends; the
            # others come 10 ms later, join the query and get its result.
            tg.start_soon(get, "/products/2?max_wait=0.1")
            await anyio.sleep(0.01)
            for _ in range(5):
                tg.start_soon(get, "/products/2")
        print(f"1 impatient and 5 patient requests: {dict(statuses)}, ", end="")
        print(f"{catalog.queries[2]} catalog query")

        reply = await client.put("/products/1/price", json={"price_cents": 2199})
        price = (await client.get("/products/1")).json()["price_cents"]
        print(f"after the update ({reply.status_code}): {price} cents, ", end="")
        print(f"{catalog.queries[1]} catalog queries for product 1")

        for _ in range(20):
            await client.get("/products/1/reviews")
        print(f"20 review requests: {ReviewRepository.summary.cache_info()}")
        print(f"get_product: {get_product.cache_info()}")

    print(f"after shutdown: closed={get_product.cache_parameters()['closed']}")


if __name__ == "__main__":
    anyio.run(main)
