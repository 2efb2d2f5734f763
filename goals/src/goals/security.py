"""Who is calling: a guard verifies the bearer token before the body or parameters are read,
so a missing or bad token is always a 401, whatever else is wrong with the request."""

from typing import Any

from litestar import Controller, Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from goals.services import Services
from goals.tokens import Caller


async def authenticate(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = connection.app.state.services
    authorization = connection.headers.get("Authorization")
    connection.state.caller = await services.verifier.verify(authorization)


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller: Caller = request.state.caller
    return caller


class AuthenticatedController(Controller):
    """The routes under /goals: every route of a subclass needs a valid token; the caller is the
    `caller` dependency. (The OpenAPI document says so: every operation not marked
    `openapi.PUBLIC` requires the bearer token.)"""

    path = "/goals"
    guards = (authenticate,)
