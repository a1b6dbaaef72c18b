from dataclasses import dataclass

import anyio

from async_lru import alru_cache


@dataclass(frozen=True)
class Token:
    value: str
    expires_in: float  # seconds, as the server said


def token_lifetime(token: Token) -> float:
    return max(token.expires_in - 30, 0)  # renew 30 s early; 0: not stored


class Clock:
    """A clock that moves only when told to, so that the example need not wait."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class AuthorizationServer:
    """Stands for the server that issues tokens; it counts them."""

    def __init__(self) -> None:
        self.issued = 0
        self.expires_in = 3600.0
        self.down = False

    async def issue(self, client_id: str) -> Token:
        await anyio.sleep(0.001)  # a round trip
        if self.down:
            raise ConnectionError("authorization server unavailable")
        self.issued += 1
        return Token(f"{client_id}-{self.issued}", self.expires_in)


server = AuthorizationServer()
clock = Clock()  # an application leaves timer= out: time.monotonic


@alru_cache(ttl=token_lifetime, timer=clock)
async def access_token(client_id: str) -> Token:
    return await server.issue(client_id)


async def main() -> None:
    # Requests that start together share one token request.
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(access_token, "app")
    assert server.issued == 1

    clock.now = 3569  # within 3600 - 30 seconds: the same token
    assert (await access_token("app")).value == "app-1"
    clock.now = 3570  # 30 seconds before it expires: a new one
    assert (await access_token("app")).value == "app-2"
    assert server.issued == 2

    access_token.cache_invalidate("app")  # an API answered 401: drop the token
    server.down = True
    failures = 0
    for _ in range(2):  # a failure is not stored: every call tries again
        try:
            await access_token("app")
        except ConnectionError:
            failures += 1
    assert failures == 2
    server.down = False
    assert (await access_token("app")).value == "app-3"

    access_token.cache_clear()
    server.expires_in = 20  # too short to keep: each call asks for a token
    await access_token("app")
    await access_token("app")
    assert server.issued == 5
    print(f"{server.issued} tokens issued in all")


if __name__ == "__main__":
    anyio.run(main)
