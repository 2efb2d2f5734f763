"""The caller dependency: every counters endpoint needs an admin token (DESIGN.md change 6)."""

from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.params import HeaderParameter

from metrics.tokens import Caller, TokenVerifier


async def _admin(
    request: Request[Any, Any, Any],
    authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
) -> Caller:
    verifier: TokenVerifier = request.app.state.verifier
    caller = await verifier.verify(authorization)  # 401 when missing or invalid
    caller.require_admin()  # 403 for a valid user token
    return caller


admin_caller = Provide(_admin)
