from dataclasses import dataclass

import anyio

from async_lru import alru_cache


class Clock:
    """A clock that moves only when told to, so that the example need not sleep."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Answer:
    body: str
    max_age: float | None  # seconds, as the server said; None: it never changes


def max_age(answer: Answer) -> float | None:
    return answer.max_age  # None: no expiry; 0: not stored


ANSWERS = {
    "/logo.png": Answer("png", None),
    "/news": Answer("news", 30),
    "/now": Answer("time", 0),
}
clock = Clock()
runs: list[str] = []


@alru_cache(ttl=max_age, timer=clock)
async def get(path: str) -> Answer:
    runs.append(path)
    return ANSWERS[path]


async def main() -> None:
    for path in ANSWERS:
        await get(path)
    clock.now = 29
    assert get.cache_contains("/logo.png")
    assert get.cache_contains("/news")
    assert not get.cache_contains("/now")  # returned to its caller, never stored

    clock.now = 1_000_000
    assert get.cache_contains("/logo.png")  # no expiry
    assert not get.cache_contains("/news")  # expired at 30
    assert runs == ["/logo.png", "/news", "/now"]


if __name__ == "__main__":
    anyio.run(main)
