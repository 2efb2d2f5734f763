"""The route guard: every counters endpoint needs an admin token (README, "API")."""

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from metrics.protocol import JSONRequest
from metrics.services import Services


async def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """401 without a valid token (missing, malformed, expired, blocked); 403 for a user token."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow); the gateway builds 405s from it
    services: Services = connection.app.state.services
    caller = await services.verifier.verify(connection.headers.get("Authorization"))
    caller.require_admin()


class ApiRequest(JSONRequest):
    """Every route's request (the app's `request_class`): handlers read `request.services`
    instead of a Litestar dependency, whose resolution (a signature model for the provider, a
    cleanup group, a second validation of the handler's arguments) cost more than this
    attribute read."""

    @property
    def services(self) -> Services:
        services: Services = self.scope["litestar_app"].state.services
        return services
