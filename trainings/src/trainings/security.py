"""The caller, from the Bearer token (verified locally). Permission checks are the routes': the
first lines of each handler."""

from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter

from trainings.services import Services
from trainings.tokens import Caller


async def provide_caller(
    request: Request[Any, Any, Any],
    # The document states it as the security scheme (BearerToken), not as a parameter.
    authorization: Annotated[
        str | None, HeaderParameter(name="Authorization", include_in_schema=False)
    ] = None,
) -> Caller:
    """401 without a valid token; permission checks (403) are the handlers' business."""
    services: Services = request.app.state.services
    return await services.verifier.verify(authorization)
