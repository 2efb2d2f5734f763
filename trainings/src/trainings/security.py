"""The caller, from the Bearer token (verified locally). Permission checks are the routes': the
first lines of each handler."""

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import HeaderParameter

from trainings.services import Services
from trainings.tokens import Caller


async def provide_caller(
    # After `services`, not beside it: Litestar resolves independent dependencies in a task
    # group of their own on every request.
    services: NamedDependency[Services],
    # The document states it as the security scheme (BearerToken), not as a parameter.
    authorization: Annotated[
        str | None, HeaderParameter(name="Authorization", include_in_schema=False)
    ] = None,
) -> Caller:
    """401 without a valid token; permission checks (403) are the handlers' business."""
    return await services.verifier.verify(authorization)
