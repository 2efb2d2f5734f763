"""The internal service credential every endpoint but the JWKS and health requires."""

import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from authentication.protocol import JSONRequest
from authentication.services import Services

SERVICE_TOKEN_HEADER = "X-Service-Token"


async def require_service_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """Async although it awaits nothing: Litestar runs a sync guard in a worker thread, a
    thread hop on every request."""
    if connection.scope.get("method") == "OPTIONS":
        return  # it only lists the path's methods (Allow), as in every service
    services: Services = connection.app.state.services
    expected = services.service_token
    presented = connection.headers.get(SERVICE_TOKEN_HEADER, "")
    # Defence in depth: an empty configured credential (the settings refuse it) matches nothing.
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorizedException("Missing or wrong service credential")


class ApiRequest(JSONRequest):
    """Every route's request (the app's `request_class`): handlers read `request.services`
    instead of a Litestar dependency, whose resolution (a signature model for the provider, a
    cleanup group, a second validation of the handler's arguments) cost more than this
    attribute read."""

    @property
    def services(self) -> Services:
        services: Services = self.scope["litestar_app"].state.services
        return services
