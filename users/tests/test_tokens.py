"""Token lifetimes: a re-login never extends a token, and a token without `exp` or `iat` is
refused even when its signature is good.

authentication only issues tokens with both claims, so the forged ones are signed here with a
key of the test's own, published by a tiny JWKS server on a free port that the verifier (and an
app pointed at it) fetch over real HTTP, as they fetch authentication's."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from jose import jwt
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.helpers import Client, bearer, es256_key_pair, eventually, make_settings, sign_up, token
from users import tokens
from users.app import create_app
from users.tokens import BLOCKED_USERS_KEY, TokenVerifier

ISSUER = make_settings().jwt_issuer
KID = "users-test-forger"


class Forger:
    """An ES256 key and the JWKS that publishes its public half."""

    def __init__(self) -> None:
        self.private_pem, public = es256_key_pair(KID)
        self.jwks = json.dumps({"keys": [public]}).encode()
        self.url = ""

    def sign(self, **claims: Any) -> str:
        body = {"iss": ISSUER, "role": "user", "is_athlete": True, **claims}
        return str(jwt.encode(body, self.private_pem, algorithm="ES256", headers={"kid": KID}))


@pytest.fixture(scope="module")
def forger() -> Iterator[Forger]:
    forger = Forger()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/auth/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(forger.jwks if found else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    forger.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield forger
    server.shutdown()
    server.server_close()


async def test_bearer_relogin_returns_a_token_that_expires_no_later(
    client: Client, http: httpx.AsyncClient
) -> None:
    """The attack: re-login every day with yesterday's token and it never dies."""
    user = await sign_up(client)
    presented = await token(http, "user", user["id"], True)
    claims = jwt.get_unverified_claims(presented)

    # A token minted from now on would expire later than the presented one (`exp` counts whole
    # seconds): wait until the clock is past the second it was issued in.
    async def a_second_later() -> bool:
        return time.time() >= claims["iat"] + 1

    await eventually(a_second_later, "the clock to pass the token's issue second")
    response = await client.post("/users/login", json={}, headers=bearer(presented))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user["id"]
    renewed = response.json()["token"]
    assert jwt.get_unverified_claims(renewed)["exp"] <= claims["exp"]
    # Presenting the answer again changes nothing either.
    again = await client.post("/users/login", json={}, headers=bearer(renewed))
    assert again.status_code == 200
    assert jwt.get_unverified_claims(again.json()["token"])["exp"] <= claims["exp"]


@pytest.mark.parametrize("missing", ["exp", "iat"])
async def test_a_well_signed_token_without_exp_or_iat_is_refused(
    forger: Forger, redis: Redis, missing: str
) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {"id": 123, "iat": now, "exp": now + 600}
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(http, f"{forger.url}/auth/.well-known/jwks.json", ISSUER, redis)
        # The forger's key is trusted: a complete token passes.
        assert (await verifier.verify(f"Bearer {forger.sign(**claims)}")).id == 123
        del claims[missing]
        with pytest.raises(NotAuthorizedException):
            await verifier.verify(f"Bearer {forger.sign(**claims)}")


async def test_relogin_with_an_everlasting_token_is_401(forger: Forger, make_actor: Any) -> None:
    """The whole route, with the verifier fetching the forger's JWKS."""
    actor = await make_actor()
    app = create_app(make_settings(auth_url=forger.url, bootstrap_admin_email=None))
    async with AsyncTestClient(app=app) as client:
        now = int(time.time())
        complete = forger.sign(id=actor.id, iat=now, exp=now + 600)
        ok = await client.post("/users/login", json={}, headers=bearer(complete))
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"token": complete, "id": actor.id}
        for token_ in (forger.sign(id=actor.id, iat=now), forger.sign(id=actor.id, exp=now + 600)):
            refused = await client.post("/users/login", json={}, headers=bearer(token_))
            assert refused.status_code == 401, refused.text
            assert refused.json() == {"detail": "Invalid token"}


# The verified-token cache: a token is verified once, then remembered until its `exp`; what can
# change before then (blocking, the published keys) is still honoured.


def _verifier(
    forger: Forger, redis: Redis, http: httpx.AsyncClient, **ages: float
) -> TokenVerifier:
    return TokenVerifier(http, f"{forger.url}/auth/.well-known/jwks.json", ISSUER, redis, **ages)


async def test_a_remembered_token_is_refused_once_it_expires(forger: Forger, redis: Redis) -> None:
    now = int(time.time())
    short_lived = forger.sign(id=124, iat=now, exp=now + 2)
    async with httpx.AsyncClient() as http:
        verifier = _verifier(forger, redis, http)
        assert (await verifier.verify(f"Bearer {short_lived}")).id == 124

        # python-jose accepts a token through the second its `exp` names: wait past that.
        async def expired() -> bool:
            return time.time() >= now + 3

        await eventually(expired, "the token's exp to pass")
        with pytest.raises(NotAuthorizedException):
            await verifier.verify(f"Bearer {short_lived}")


async def test_a_remembered_token_of_a_user_blocked_since_is_refused(
    forger: Forger, redis: Redis
) -> None:
    now = int(time.time())
    presented = f"Bearer {forger.sign(id=125, iat=now, exp=now + 600)}"
    async with httpx.AsyncClient() as http:
        verifier = _verifier(forger, redis, http, blocked_max_age=0)
        assert (await verifier.verify(presented)).id == 125
        await redis.sadd(BLOCKED_USERS_KEY, "125")
        try:
            with pytest.raises(NotAuthorizedException, match="blocked"):
                await verifier.verify(presented)
        finally:
            await redis.srem(BLOCKED_USERS_KEY, "125")
        assert (await verifier.verify(presented)).id == 125  # unblocked: accepted again


class CountingRedis(Redis):
    """The real Redis client, counting the blocked-set reads it sends."""

    reads = 0

    async def smembers(self, name: str) -> Any:  # type: ignore[override]
        self.reads += 1
        return await super().smembers(name)


async def test_requests_that_find_the_blocked_set_stale_at_once_share_one_read(
    forger: Forger, redis: Redis
) -> None:
    now = int(time.time())
    presented = f"Bearer {forger.sign(id=126, iat=now, exp=now + 600)}"
    counting = CountingRedis(connection_pool=redis.connection_pool)
    async with httpx.AsyncClient() as http:
        verifier = _verifier(forger, counting, http, blocked_max_age=60)
        callers = await asyncio.gather(*(verifier.verify(presented) for _ in range(50)))
    assert {caller.id for caller in callers} == {126}
    assert counting.reads == 1


async def test_a_remembered_token_whose_key_was_withdrawn_is_refused(
    forger: Forger, redis: Redis
) -> None:
    now = int(time.time())
    presented = f"Bearer {forger.sign(id=126, iat=now, exp=now + 600)}"
    published = forger.jwks
    async with httpx.AsyncClient() as http:
        # jwks_max_age=0: the keys are stale at once, so the next request refetches them.
        verifier = _verifier(forger, redis, http, jwks_max_age=0)
        assert (await verifier.verify(presented)).id == 126
        forger.jwks = json.dumps({"keys": []}).encode()
        try:
            with pytest.raises(NotAuthorizedException):
                await verifier.verify(presented)
        finally:
            forger.jwks = published


async def test_the_cache_of_verified_tokens_is_bounded(
    forger: Forger, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_CAPACITY", 2)
    now = int(time.time())
    presented = [f"Bearer {forger.sign(id=i, iat=now, exp=now + 600)}" for i in (127, 128, 129)]
    async with httpx.AsyncClient() as http:
        verifier = _verifier(forger, redis, http)
        for authorization in presented:
            await verifier.verify(authorization)
        remembered = verifier._verified  # the bound is the point of the test
        assert len(remembered) == 2
        assert presented[0].removeprefix("Bearer ") not in remembered  # the oldest went first
        assert (await verifier.verify(presented[0])).id == 127  # and is merely verified again
