"""The ceiling `make bench` holds authentication to: a bare Litestar app (the same Litestar,
served by bench/wrk.py's `serve` with the same uvicorn settings) doing the same work as the
hot paths and nothing else: it signs the same claims with python-jose and an ES256 key of its
own, parsed once as the service does (`tokens.keys`), and publishes that key's JWKS with the
service's Cache-Control. No credential check, no middleware, no models.

    uvicorn --factory bench.reference:create_app
"""

import time
from typing import Any

from jose import jwt
from litestar import Litestar, get, post
from litestar.response import Response

from authentication.tokens.keys import generate_private_pem, load_signing_key

PREFIX = "/bare"
ISSUER = "fiufit-authentication"
LIFETIME = 24 * 3600


def create_app() -> Litestar:
    key = load_signing_key(generate_private_pem("ES256"), "ES256", "bare-1", [])

    @get(f"{PREFIX}/healthcheck")
    async def healthcheck() -> dict[str, bool]:
        return {"ok": True}

    @post(f"{PREFIX}/token")
    async def token(data: dict[str, Any]) -> dict[str, str]:
        now = int(time.time())
        claims = {**data, "iat": now, "exp": now + LIFETIME, "iss": ISSUER}
        signed = jwt.encode(claims, key.signer, algorithm="ES256", headers={"kid": key.key_id})
        return {"data": signed}

    @get(f"{PREFIX}/jwks")
    async def jwks() -> Response[dict[str, Any]]:
        return Response(key.jwks, headers={"Cache-Control": "public, max-age=300"})

    return Litestar(
        route_handlers=[healthcheck, token, jwks], openapi_config=None, logging_config=None
    )
