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
    forwarded = request.headers.get("X-Forwarded-For") if trust_forwarded_for else None
    if forwarded:
        return forwarded.split(",", 1)[0].strip()
    return request.client.host if request.client else "unknown"
