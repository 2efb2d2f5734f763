"""Who is calling: the bearer token is verified by `authenticate` before the body or parameters
are read, so a missing or bad token is always a 401, whatever else is wrong with the request;
the internal routes (`opt=SERVICE`) take the service credential instead, in the guard
`require_service_token`; and the request class routes read the caller and the services from
(`ApiRequest`)."""

import hmac
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from trainings.protocol import JSONRequest
from trainings.services import Services
from trainings.tokens import Caller

_AUTHORIZATION = b"authorization"
# Where the verified caller waits for `ApiRequest.caller`: the scope's own state dict
# (`request.state` builds a State object on every access).
_CALLER = "trainings.caller"

SERVICE_TOKEN_HEADER = "X-Service-Token"
# Put on a route handler (`@get(..., opt=SERVICE, guards=[require_service_token])`) that other
# FiuFit services call with the service credential instead of a user's token (the /internal/
# routes, which the public ingress never routes).
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


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request`: every route but the public ones (opt=PUBLIC, and the
    OpenAPI documentation's) needs a valid Bearer token. It runs before Litestar reads the
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


async def require_service_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """The guard of the internal routes: the service credential in `X-Service-Token`, compared
    in constant time (a timing difference would tell a guesser how much of it was right)."""
    # Async although it awaits nothing: Litestar runs a sync guard in a worker thread.
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow), as on every route
    services: Services = connection.app.state.services
    expected = services.settings.service_token.get_secret_value()
    presented = connection.headers.get(SERVICE_TOKEN_HEADER, "")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorizedException("Missing or wrong service credential")
