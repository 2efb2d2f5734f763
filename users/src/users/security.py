"""The caller, from the Bearer token (verified locally against authentication's JWKS)."""

from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter

from users.services import Services
from users.tokens import Caller


async def provide_caller(
    request: Request[Any, Any, Any],
    authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
) -> Caller:
    """Missing, malformed, expired or blocked → 401."""
    services: Services = request.app.state.services
    return await services.verifier.verify(authorization)


def client_address(request: Request[Any, Any, Any], trust_forwarded_for: bool) -> str:
    """The peer's address; behind a trusted proxy, the last X-Forwarded-For hop, which that
    proxy wrote (a client can put anything before it, so earlier hops are never trusted)."""
    if trust_forwarded_for:
        hops = [
            hop.strip()
            for value in request.headers.getall("X-Forwarded-For", [])
            for hop in value.split(",")
        ]
        if hops and hops[-1]:
            return hops[-1]
    return request.client.host if request.client else "unknown"
