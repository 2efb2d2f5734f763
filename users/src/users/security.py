"""The caller, from the Bearer token (verified locally against authentication's JWKS) by
`authenticate` before every non-public route, the request class routes read it from
(`ApiRequest`), the `admin_only` guard, and the per-client rate limits of the routes that need
no token."""

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from users.protocol import JSONRequest
from users.services import Services
from users.tokens import Caller

_CALLER = "users.caller"
_AUTHORIZATION = b"authorization"


class ApiRequest(JSONRequest):
    """Every route's request (the app's `request_class`): what a handler reads from it instead
    of a Litestar dependency. Resolving `services` and `caller` as dependencies cost about a
    tenth of a cheap read (a signature model per provider, a cleanup group, a second
    validation of the handler's arguments); these are attribute reads."""

    @property
    def services(self) -> Services:
        services: Services = self.scope["litestar_app"].state.services
        return services

    @property
    def caller(self) -> Caller:
        """The verified caller; `authenticate` has put it there on every non-public route."""
        caller: Caller | None = self.scope.get("state", {}).get(_CALLER)
        if caller is None:  # a public route (opt=PUBLIC) reading a caller: a programming error
            raise RuntimeError(f"{self.scope['path']}: no caller on a public route")
        return caller


def _authorization(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The raw Authorization header (building the headers multidict costs more than this)."""
    for name, value in connection.scope["headers"]:
        if name == _AUTHORIZATION:
            return value.decode("latin-1")
    return None


async def _verified(connection: ASGIConnection[Any, Any, Any, Any], services: Services) -> Caller:
    """Verified once per request: a guard and `authenticate` share the result, kept in the
    scope's state (`connection.state` would build a State object on every access).
    Missing, malformed, expired or blocked → 401."""
    state = connection.scope.setdefault("state", {})
    caller: Caller | None = state.get(_CALLER)
    if caller is None:
        caller = await services.verifier.verify(_authorization(connection))
        state[_CALLER] = caller
    return caller


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request`: every route but the public ones (opt=PUBLIC, and the
    OpenAPI documentation's) needs a valid Bearer token. It runs after the guards and before
    the route's parameters and body are read, so an anonymous caller gets 401 whatever they
    sent."""
    scope = request.scope
    if scope["route_handler"].opt.get("public") or scope["method"] == "OPTIONS":
        return
    documentation = request.app.openapi_config
    if documentation and documentation.path and scope["path"].startswith(documentation.path):
        return
    await _verified(request, request.app.state.services)


async def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The role check of admin-only routes, before their parameters or body are read: 401
    without a valid token, 403 with a user's."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = connection.app.state.services
    caller = await _verified(connection, services)
    caller.require_admin()


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
