"""The route guard: every counters endpoint needs an admin token (README, "API")."""

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from metrics.services import Services


async def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """401 without a valid token (missing, malformed, expired, blocked); 403 for a user token."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = connection.app.state.services
    caller = await services.verifier.verify(connection.headers.get("Authorization"))
    caller.require_admin()
