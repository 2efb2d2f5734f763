"""Issuing tokens (internal), decoding them (compatibility), and the public JWKS."""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotAuthorizedException
from litestar.params import HeaderParameter, JSONBody
from litestar.response import Response

from authentication.security import require_service_token
from authentication.tokens.models import Credentials, Token, TokenCreate
from authentication.tokens.service import InvalidToken, TokenService


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise NotAuthorizedException("No token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("Authorization header must be 'Bearer <token>'")
    return token.strip()


class TokenController(Controller):
    path = "/auth"
    tags = ["tokens"]

    @post("/token", guards=[require_service_token], status_code=201)
    async def issue(
        self, data: JSONBody[TokenCreate], tokens: NamedDependency[TokenService]
    ) -> Token:
        if data.role == "user" and data.is_athlete is None:
            raise ClientException("is_athlete is required for users")
        if data.role == "admin" and data.is_athlete is not None:
            raise ClientException("Admins have no is_athlete")
        return Token(data=tokens.issue(data.role, data.id, data.is_athlete))

    @get("/credentials", guards=[require_service_token])
    async def credentials(
        self,
        tokens: NamedDependency[TokenService],
        authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
    ) -> Credentials:
        try:
            return Credentials(data=tokens.decode(bearer_token(authorization)))
        except InvalidToken as error:
            raise NotAuthorizedException(str(error)) from error

    @get("/.well-known/jwks.json", include_in_schema=True)
    async def jwks(self, request: Request[Any, Any, Any]) -> Response[Any]:
        # Verifiers cache this; a rotation keeps the previous key published for a day.
        return Response(request.app.state.jwks, headers={"Cache-Control": "public, max-age=300"})
