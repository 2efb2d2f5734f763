"""Issuing tokens (internal), decoding them (compatibility), and the public JWKS."""

from typing import Annotated, Any, cast

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Body, HeaderParameter
from litestar.response import Response

from authentication.openapi import PUBLIC
from authentication.security import require_service_token
from authentication.services import Services, provide_services
from authentication.tokens import service
from authentication.tokens.models import (
    TOKEN_CREATE_VARIANTS,
    Credentials,
    Jwks,
    Token,
    TokenCreate,
)

Authorization = Annotated[
    str,
    HeaderParameter(
        name="Authorization",
        required=False,
        description="`Bearer <FiuFit JWT>`: the token to decode (401 when missing or invalid)",
    ),
]


class TokenController(Controller):
    path = "/auth"
    tags = ["tokens"]

    @post("/token", guards=[require_service_token], status_code=201)
    async def issue(
        self,
        data: Annotated[TokenCreate, Body(schema_extra={"one_of": TOKEN_CREATE_VARIANTS})],
        services: NamedDependency[Services],
    ) -> Token:
        return service.issue(services, data)

    @get("/credentials", guards=[require_service_token])
    async def credentials(
        self, services: NamedDependency[Services], authorization: Authorization = ""
    ) -> Credentials:
        return service.credentials(services, authorization)

    @get("/.well-known/jwks.json", opt=PUBLIC)
    async def jwks(self, request: Request[Any, Any, Any]) -> Response[Jwks]:
        """The bag is read off the request, not injected: on this public read, the cheapest of
        the service, Litestar's dependency resolution would cost more than the handler."""
        # Verifiers cache this; a rotation keeps the previous key published for a day.
        return Response(
            cast(Jwks, service.jwks(provide_services(request))),
            headers={"Cache-Control": "public, max-age=300"},
        )
