"""The token verifier's blocked-users cache (metrics only lets admins in, but verifies user tokens
and refuses blocked users first, like every other service's copy of tokens.py)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from jose import jwk, jwt
from litestar.exceptions import NotAuthorizedException
from redis.asyncio import Redis

from metrics.tokens import BLOCKED_USERS_KEY, TokenVerifier
from tests.helpers import RUN, es256_key_pair, issue_token, make_settings

# An id of this run's own: other runs on this Redis never block or unblock it.
USER_ID = int(RUN, 16)


async def test_the_first_verification_sees_the_blocked_set_whatever_its_cache_age(
    redis: Redis,
) -> None:
    """A verifier that has not fetched the set yet holds a stale set, not a fresh one, even for
    a max age longer than the machine's uptime (monotonic time starts near zero)."""
    token = issue_token(role="user", id=USER_ID, is_athlete=True)
    settings = make_settings()
    await redis.sadd(BLOCKED_USERS_KEY, str(USER_ID))
    try:
        async with httpx.AsyncClient() as http:
            verifier = TokenVerifier(
                http, settings.jwks_url, settings.jwt_issuer, redis, blocked_max_age=1e9
            )
            with pytest.raises(NotAuthorizedException, match="User is blocked"):
                await verifier.verify(f"Bearer {token}")
            # Unblocked: the cached refusal is confirmed against Redis, so the user gets in.
            await redis.srem(BLOCKED_USERS_KEY, str(USER_ID))
            assert (await verifier.verify(f"Bearer {token}")).id == USER_ID
    finally:
        await redis.srem(BLOCKED_USERS_KEY, str(USER_ID))


class _JwksServer:
    """authentication's JWKS for a key of the test's own, over real HTTP (the running
    authentication service never signs a token without `exp` and `iat`)."""

    def __init__(self, public_jwk: dict[str, Any]) -> None:
        body = json.dumps({"keys": [public_jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/auth/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "_JwksServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("missing", ["exp", "iat", "iss"])
async def test_a_token_without_exp_or_iat_is_refused_even_when_well_signed(
    redis: Redis, missing: str
) -> None:
    private_pem, public_jwk = es256_key_pair()
    settings = make_settings()
    now = int(time.time())
    claims = {"role": "admin", "id": 1, "iss": settings.jwt_issuer, "iat": now, "exp": now + 600}
    signing_key = jwk.construct(private_pem, "ES256")

    def sign(payload: dict[str, Any]) -> str:
        return str(jwt.encode(payload, signing_key, algorithm="ES256", headers={"kid": "test-1"}))

    with _JwksServer(public_jwk) as jwks:
        async with httpx.AsyncClient() as http:
            verifier = TokenVerifier(http, jwks.url, settings.jwt_issuer, redis)
            # The control: the same key with every claim is accepted.
            assert (await verifier.verify(f"Bearer {sign(claims)}")).is_admin
            lacking = {k: v for k, v in claims.items() if k != missing}
            with pytest.raises(NotAuthorizedException, match="Invalid token"):
                await verifier.verify(f"Bearer {sign(lacking)}")
