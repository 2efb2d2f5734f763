"""The caller, from the Bearer token (verified locally against authentication's JWKS), the
`admin_only` guard, and the per-client rate limits of the routes that need no token."""

from typing import Annotated, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import HeaderParameter

from users.services import Services
from users.tokens import Caller

_CALLER = "users.caller"


async def _verified(
    connection: ASGIConnection[Any, Any, Any, Any], services: Services, authorization: str | None
) -> Caller:
    """Verified once per request: a guard and the `caller` dependency share the result, kept
    in the scope's state (`connection.state` would build a State object on every access).
    Missing, malformed, expired or blocked → 401."""
    state = connection.scope.setdefault("state", {})
    caller: Caller | None = state.get(_CALLER)
    if caller is None:
        caller = await services.verifier.verify(authorization)
        state[_CALLER] = caller
    return caller


async def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The role check of admin-only routes, before their parameters or body are read: 401
    without a valid token, 403 with a user's."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = connection.app.state.services
    caller = await _verified(connection, services, connection.headers.get("Authorization"))
    caller.require_admin()


async def provide_caller(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    authorization: Annotated[
        str | None, HeaderParameter(name="Authorization", include_in_schema=False)
    ] = None,
) -> Caller:
    """Takes `services` so that Litestar resolves it first and this one alone: two async
    dependencies of one level would open a task group on every request."""
    return await _verified(request, services, authorization)


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
