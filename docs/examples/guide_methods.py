from functools import partial

import anyio

from async_lru import alru_cache


class Repository:
    def __init__(self, name: str) -> None:
        self.name = name

    @alru_cache
    async def find(self, item_id: int) -> str:  # keyed on (self, item_id)
        return f"{self.name}: item {item_id}"

    @classmethod
    @alru_cache
    async def schema(cls, version: int) -> str:  # keyed on (cls, version)
        return f"{cls.__name__} schema {version}"

    @staticmethod
    @alru_cache
    async def normalize(text: str) -> str:  # keyed on (text,)
        return text.strip().lower()


async def fetch(url: str, retries: int) -> str:
    return f"{url}, {retries} retries"


fetch_once = alru_cache(partial(fetch, retries=0))


async def main() -> None:
    books, films = Repository("books"), Repository("films")
    assert await books.find(1) == "books: item 1"
    assert await films.find(1) == "films: item 1"  # another instance: another entry
    assert books.find.cache_contains(1)  # the bound methods take no self
    assert books.find.cache_invalidate(1)
    assert films.find.cache_contains(1)  # films' entry stays
    assert books.find.cache_info().currsize == 1  # one cache for every instance

    assert await Repository.schema(2) == "Repository schema 2"
    assert await Repository.normalize(" Title ") == "title"
    assert await fetch_once("https://example.org") == "https://example.org, 0 retries"
    assert fetch_once.cache_contains("https://example.org")  # keyed on the call's own arguments


if __name__ == "__main__":
    anyio.run(main)
