"""Issuing tokens (internal), decoding them (compatibility), and the public JWKS."""

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody
from litestar.response import Response

from authentication.security import require_service_token
from authentication.services import Services
from authentication.tokens import service
from authentication.tokens.models import Credentials, Token, TokenCreate


class TokenController(Controller):
    path = "/auth"
    tags = ["tokens"]

    @post("/token", guards=[require_service_token], status_code=201)
    async def issue(
        self, data: JSONBody[TokenCreate], services: NamedDependency[Services]
    ) -> Token:
        return service.issue(services, data)

    @get("/credentials", guards=[require_service_token])
    async def credentials(
        self,
        services: NamedDependency[Services],
        authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
    ) -> Credentials:
        return service.credentials(services, authorization)

    @get("/.well-known/jwks.json", include_in_schema=True)
    async def jwks(self, services: NamedDependency[Services]) -> Response[Any]:
        # Verifiers cache this; a rotation keeps the previous key published for a day.
        return Response(service.jwks(services), headers={"Cache-Control": "public, max-age=300"})
