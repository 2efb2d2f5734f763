"""Who is calling: the bearer token is verified by `authenticate` before the body or parameters
are read, so a missing or bad token is always a 401, whatever else is wrong with the request;
and the request class routes read the caller and the services from (`ApiRequest`)."""

from typing import Any

from litestar import Request

from goals.protocol import JSONRequest
from goals.services import Services
from goals.tokens import Caller

_AUTHORIZATION = b"authorization"
# Where the verified caller waits for `ApiRequest.caller`: the scope's own state dict
# (`request.state` builds a State object on every access).
_CALLER = "goals.caller"


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
    if scope["route_handler"].opt.get("public") or scope["method"] == "OPTIONS":
        return  # OPTIONS only lists the path's methods (Allow); the gateway builds 405s from it
    documentation = request.app.openapi_config
    if documentation and documentation.path and scope["path"].startswith(documentation.path):
        return
    services: Services = request.app.state.services
    raw = next((value for name, value in scope["headers"] if name == _AUTHORIZATION), None)
    caller = await services.verifier.verify(raw.decode("latin-1") if raw is not None else None)
    scope.setdefault("state", {})[_CALLER] = caller
