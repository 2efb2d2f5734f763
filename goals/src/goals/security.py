"""Who is calling: the bearer token is verified by `authenticate` before the body or parameters
are read, so a missing or bad token is always a 401, whatever else is wrong with the request;
the internal routes (`SERVICE`) take the service credential instead, in the guard
`require_service_token`; and the request class routes read the caller and the services from
(`ApiRequest`)."""

import hmac
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from goals.protocol import JSONRequest
from goals.services import Services
from goals.tokens import Caller

_AUTHORIZATION = b"authorization"
# Where the verified caller waits for `ApiRequest.caller`: the scope's own state dict
# (`request.state` builds a State object on every access).
_CALLER = "goals.caller"

SERVICE_TOKEN_HEADER = "X-Service-Token"
# Put on a controller that other FiuFit services call (with `guards=[require_service_token]`):
# its routes take the service credential, never a user's token. tests/test_internal.py checks
# that every route so marked has the guard.
SERVICE: dict[str, Any] = {"service": True}


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


async def require_service_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """The internal routes' guard: the service credential (GOALS_SERVICE_TOKEN), compared in
    constant time. Async although it awaits nothing: Litestar runs a sync guard in a worker
    thread."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow), as on every route
    services: Services = connection.app.state.services
    expected = services.settings.service_token.get_secret_value()
    presented = connection.headers.get(SERVICE_TOKEN_HEADER, "")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorizedException("Missing or wrong service credential")


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request`: every route but the public ones (opt=PUBLIC, and the
    OpenAPI documentation's) and the internal ones (opt=SERVICE: their guard has checked the
    service credential already) needs a valid Bearer token. It runs before Litestar reads the
    route's parameters and body, as a guard would; a hook because Litestar copies the route
    handler for each guard it calls, on every request."""
    scope = request.scope
    opt = scope["route_handler"].opt
    if opt.get("public") or opt.get("service") or scope["method"] == "OPTIONS":
        return  # OPTIONS only lists the path's methods (Allow); the gateway builds 405s from it
    documentation = request.app.openapi_config
    if documentation and documentation.path and scope["path"].startswith(documentation.path):
        return
    services: Services = request.app.state.services
    raw = next((value for name, value in scope["headers"] if name == _AUTHORIZATION), None)
    caller = await services.verifier.verify(raw.decode("latin-1") if raw is not None else None)
    scope.setdefault("state", {})[_CALLER] = caller
