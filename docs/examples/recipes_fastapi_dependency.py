from typing import Annotated

import anyio
import httpx
from fastapi import Depends, FastAPI

from async_lru import alru_cache


class Repository:
    """Reads product names from a slow service."""

    @alru_cache(maxsize=128)
    async def product_name(self, product_id: int) -> str:
        await anyio.sleep(0.001)  # the slow service
        return f"product {product_id}"


app = FastAPI()


# The trap: FastAPI creates a new Repository for each request, and the instance is
# part of the cache key, so no request finds what an earlier one stored.
@app.get("/trap/{product_id}")
async def read_trap(product_id: int, repository: Annotated[Repository, Depends()]) -> str:
    return await repository.product_name(product_id)


# The fix: one Repository for the whole application, handed out by a dependency.
app_repository = Repository()


def get_repository() -> Repository:
    return app_repository


@app.get("/products/{product_id}")
async def read_product(
    product_id: int, repository: Annotated[Repository, Depends(get_repository)]
) -> str:
    return await repository.product_name(product_id)


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for _ in range(200):
            assert (await client.get("/trap/1")).json() == "product 1"
        info = Repository.product_name.cache_info()
        print("a new instance per request:", info)
        assert (info.hits, info.misses) == (0, 200)
        assert info.currsize == 128  # full of entries that no request will ask for

        Repository.product_name.cache_clear()
        for _ in range(200):
            assert (await client.get("/products/1")).json() == "product 1"
        info = Repository.product_name.cache_info()
        print("one instance per application:", info)
        assert (info.hits, info.misses) == (199, 1)


if __name__ == "__main__":
    anyio.run(main)
