"""Who is calling: the bearer token is verified before the body or parameters are read, so a
missing or bad token is always a 401, whatever else is wrong with the request."""

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency

from goals.services import Services
from goals.tokens import Caller

_AUTHORIZATION = b"authorization"
# Where the verified caller waits for the `caller` dependency: the scope's own state dict
# (`request.state` builds a State object on every access).
_CALLER = "goals.caller"


async def authenticate(request: Request[Any, Any, Any]) -> None:
    """The `before_request` hook of every authenticated route. It runs before Litestar reads the
    route's parameters and body, as a guard would; a hook because Litestar copies the route
    handler for each guard it calls, on every request."""
    scope = request.scope
    if scope["method"] == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = request.app.state.services
    raw = next((value for name, value in scope["headers"] if name == _AUTHORIZATION), None)
    caller = await services.verifier.verify(raw.decode("latin-1") if raw is not None else None)
    scope.setdefault("state", {})[_CALLER] = caller


def provide_caller(request: Request[Any, Any, Any], services: NamedDependency[Services]) -> Caller:
    """Takes `services` only to come after it: Litestar resolves independent dependencies
    together in an anyio task group, one per request; chained, each resolves on its own."""
    del services
    caller: Caller = request.scope["state"][_CALLER]
    return caller


class AuthenticatedController(Controller):
    """The routes under /goals: every route of a subclass needs a valid token; the caller is the
    `caller` dependency. (The OpenAPI document says so: every operation not marked
    `openapi.PUBLIC` requires the bearer token.)"""

    path = "/goals"
    before_request = staticmethod(authenticate)
