"""The caller, from the Bearer token (verified locally against authentication's JWKS), and the
per-client rate limits of the routes that need no token."""

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


async def limit_login(
    request: Request[Any, Any, Any], services: Services, account: str | None
) -> None:
    address = client_address(request, services.settings.trust_forwarded_for)
    await services.limiter.hit("login", f"{request.url.path}:{address}", account)


async def limit_signup(request: Request[Any, Any, Any], services: Services, email: str) -> None:
    """E-mail and Google sign-ups share one budget per client and per e-mail."""
    address = client_address(request, services.settings.trust_forwarded_for)
    await services.limiter.hit("signup", address, email)


async def limit_recovery(
    request: Request[Any, Any, Any], services: Services, username: str
) -> None:
    address = client_address(request, services.settings.trust_forwarded_for)
    await services.limiter.hit("recovery", address, username)
