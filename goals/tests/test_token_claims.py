"""A token must carry `exp` and `iat`: a correctly signed token without them never expires.

The running authentication always sets both, so these tokens are signed by a key of the test's
own, published as a JWKS by a real HTTP server the test starts (the verifier fetches it as it
fetches authentication's).
"""

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from jose import jwk, jwt
from litestar.exceptions import NotAuthorizedException
from redis.asyncio import Redis

from goals.tokens import TokenVerifier
from tests.helpers import REDIS_URL, es256_key_pair

ISSUER = "fiufit-authentication"
KID = "claims-test-1"


class _Keys:
    def __init__(self) -> None:
        private_pem, public = es256_key_pair(KID)
        self.signing = jwk.construct(private_pem, "ES256")
        self.jwks = json.dumps({"keys": [public]}).encode()

    def token(self, **claims: Any) -> str:
        return str(jwt.encode(claims, self.signing, algorithm="ES256", headers={"kid": KID}))


@pytest.fixture(scope="module")
def keys() -> _Keys:
    return _Keys()


@pytest.fixture(scope="module")
def jwks_url(keys: _Keys) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(keys.jwks)))
            self.end_headers()
            self.wfile.write(keys.jwks)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/auth/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def verifier(jwks_url: str) -> AsyncIterator[TokenVerifier]:
    redis = Redis.from_url(REDIS_URL)
    async with httpx.AsyncClient(timeout=5) as http:
        yield TokenVerifier(http, jwks_url, ISSUER, redis, blocked_max_age=0)
    await redis.aclose()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "role": "user",
        "id": 7,
        "is_athlete": True,
        "iss": ISSUER,
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


async def test_a_complete_token_is_accepted(verifier: TokenVerifier, keys: _Keys) -> None:
    caller = await verifier.verify(f"Bearer {keys.token(**_claims())}")
    assert (caller.role, caller.id, caller.is_athlete) == ("user", 7, True)


@pytest.mark.parametrize("missing", ["exp", "iat"])
async def test_a_token_without_exp_or_iat_is_refused(
    verifier: TokenVerifier, keys: _Keys, missing: str
) -> None:
    token = keys.token(**_claims(**{missing: None}))
    with pytest.raises(NotAuthorizedException):
        await verifier.verify(f"Bearer {token}")


async def test_an_expired_token_is_refused(verifier: TokenVerifier, keys: _Keys) -> None:
    now = int(time.time())
    token = keys.token(**_claims(iat=now - 7200, exp=now - 3600))
    with pytest.raises(NotAuthorizedException):
        await verifier.verify(f"Bearer {token}")


async def test_a_token_without_an_issuer_is_refused(verifier: TokenVerifier, keys: _Keys) -> None:
    token = keys.token(**_claims(iss=None))
    with pytest.raises(NotAuthorizedException):
        await verifier.verify(f"Bearer {token}")
