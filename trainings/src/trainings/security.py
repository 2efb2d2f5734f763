"""The caller, from the Bearer token (verified locally). Permission checks are the routes': the
first lines of each handler."""

from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter

from trainings.tokens import Caller, TokenVerifier


async def provide_caller(
    request: Request[Any, Any, Any],
    authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
) -> Caller:
    """401 without a valid token; permission checks (403) are the handlers' business."""
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(authorization)
