"""Issuing tokens (internal), decoding them (compatibility), and the public JWKS."""

from typing import Annotated, cast

from litestar import Controller, get, post
from litestar.params import Body, HeaderParameter
from litestar.response import Response

from authentication.openapi import PUBLIC
from authentication.security import ApiRequest, require_service_token
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
        request: ApiRequest,
    ) -> Token:
        return service.issue(request.services, data)

    @get("/credentials", guards=[require_service_token])
    async def credentials(
        self, request: ApiRequest, authorization: Authorization = ""
    ) -> Credentials:
        return service.credentials(request.services, authorization)

    @get("/.well-known/jwks.json", opt=PUBLIC)
    async def jwks(self, request: ApiRequest) -> Response[Jwks]:
        # Verifiers cache this; a rotation keeps the previous key published for a day.
        return Response(
            cast(Jwks, service.jwks(request.services)),
            headers={"Cache-Control": "public, max-age=300"},
        )
