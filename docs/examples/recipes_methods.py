from dataclasses import dataclass

import anyio

from async_lru import alru_cache


async def query_service(product_id: int) -> str:
    await anyio.sleep(0.001)  # a slow service
    return f"product {product_id}"


# The trap: a new instance for each request.


class Repository:
    @alru_cache(maxsize=128)
    async def product_name(self, product_id: int) -> str:
        return await query_service(product_id)


async def a_new_instance_per_request() -> None:
    for _ in range(200):
        await Repository().product_name(1)  # what a per-request dependency does
    info = Repository.product_name.cache_info()
    assert (info.hits, info.misses) == (0, 200)  # never a hit


# Fix 1: one instance for the application.


async def one_instance_per_application() -> None:
    repository = Repository()  # created once, at startup
    for _ in range(200):
        await repository.product_name(1)
    info = Repository.product_name.cache_info()
    assert (info.hits, info.misses) == (199, 1)


# Fix 2: a cached module-level function of what matters.


@alru_cache(maxsize=128)
async def product_name(product_id: int) -> str:
    return await query_service(product_id)


class Reader:
    async def product_name(self, product_id: int) -> str:
        return await product_name(product_id)  # keyed on the product id alone


async def a_module_level_function() -> None:
    for _ in range(200):
        await Reader().product_name(1)
    info = product_name.cache_info()
    assert (info.hits, info.misses) == (199, 1)


# Fix 3: a key that leaves the instance out.


def product_key(repository: "SharedRepository", product_id: int) -> int:
    return product_id


class SharedRepository:
    @alru_cache(maxsize=128, key=product_key)
    async def product_name(self, product_id: int) -> str:
        return await query_service(product_id)


async def a_key_without_the_instance() -> None:
    for _ in range(200):
        await SharedRepository().product_name(1)
    info = SharedRepository.product_name.cache_info()
    assert (info.hits, info.misses) == (199, 1)
    assert SharedRepository().product_name.cache_invalidate(1)  # from any instance


# Fix 4: equal instances, equal keys.


@dataclass(frozen=True)  # hashes and compares by its fields
class Catalog:
    region: str

    @alru_cache(maxsize=128)
    async def product_name(self, product_id: int) -> str:
        return await query_service(product_id) + f" ({self.region})"


async def instances_equal_by_value() -> None:
    for _ in range(200):
        await Catalog("eu").product_name(1)
    assert await Catalog("us").product_name(1) == "product 1 (us)"  # its own entry
    info = Catalog.product_name.cache_info()
    assert (info.hits, info.misses) == (199, 2)


# All of them.


async def main() -> None:
    await a_new_instance_per_request()
    Repository.product_name.cache_clear()
    await one_instance_per_application()
    await a_module_level_function()
    await a_key_without_the_instance()
    await instances_equal_by_value()
    print("a new instance per request: 200 misses; each fix: 1 miss for 200 calls")


if __name__ == "__main__":
    anyio.run(main)
