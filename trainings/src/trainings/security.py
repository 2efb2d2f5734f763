"""Dependencies: the caller, from the Bearer token (verified locally), and the services the
lifespan put in the app state."""

from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.params import HeaderParameter

from trainings.tokens import Caller, TokenVerifier


async def provide_caller(
    request: Request[Any, Any, Any],
    authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
) -> Caller:
    """401 without a valid token; permission checks (403) are the handlers' business."""
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(authorization)


def from_state(key: str) -> Provide:
    """A dependency that hands out ``app.state.<key>``."""

    def provide(request: Request[Any, Any, Any]) -> Any:
        return getattr(request.app.state, key)

    return Provide(provide, sync_to_thread=False)


DEPENDENCIES = {
    "caller": Provide(provide_caller),
    "catalogue": from_state("catalogue"),
    "trainings": from_state("trainings"),
    "favourites": from_state("favourites"),
}
