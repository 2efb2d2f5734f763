"""Firebase Auth accounts, for the users service."""

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, delete, patch, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import Link
from litestar.params import HeaderParameter, JSONBody, PathParameter
from litestar.response import Response

from authentication.accounts import service
from authentication.accounts.models import (
    UID_MAX_LENGTH,
    Account,
    AccountCreate,
    AccountState,
    AccountUpdate,
    GoogleAccount,
    GoogleLogin,
    PasswordLogin,
    PasswordReset,
)
from authentication.errors import Conflict, TooManyRequests
from authentication.security import ApiRequest, require_service_token

Uid = Annotated[
    str,
    PathParameter(min_length=1, max_length=UID_MAX_LENGTH, description="The Firebase uid"),
]
GoogleCredential = Annotated[
    str,
    HeaderParameter(
        name="Authorization",
        required=False,
        description="The Google credential, raw (no `Bearer `), as the mobile app sends it",
    ),
]


# OpenAPI links (the app factory adds them): the account just created is the one to disable or
# delete, so a stateful run can chain create → update → delete → update (404).
_CREATED = {"uid": "$response.body#/id"}
LINKS = {
    ("/auth/accounts", "post", 201): {
        "SetStatus": Link(operation_id="AuthAccountsUidSetStatus", parameters=_CREATED),
        "Remove": Link(operation_id="AuthAccountsUidRemove", parameters=_CREATED),
    },
}


class AccountController(Controller):
    path = "/auth/accounts"
    tags = ["accounts"]
    guards = [require_service_token]

    @post(
        "/",
        status_code=201,
        raises=[Conflict],
        response_headers=[
            ResponseHeader(
                name="Location",
                value="/auth/accounts/{uid}",
                description="The new account's path (PATCH, DELETE)",
                documentation_only=True,
            )
        ],
    )
    async def create(self, data: JSONBody[AccountCreate], request: ApiRequest) -> Response[Account]:
        account = await service.create(request.services, data)
        return Response(
            account, status_code=201, headers={"Location": f"{self.path}/{quote(account.id)}"}
        )

    @post("/login", status_code=200, raises=[TooManyRequests])
    async def login(self, data: JSONBody[PasswordLogin], request: ApiRequest) -> Account:
        return await service.login(request.services, data)

    @post("/login/google", status_code=200)
    async def login_with_google(
        self,
        data: JSONBody[GoogleLogin],
        request: ApiRequest,
        authorization: GoogleCredential = "",
    ) -> GoogleAccount:
        """The Google credential arrives raw in Authorization, as the mobile app sends it."""
        return await service.login_with_google(request.services, authorization, data.email)

    @post("/password-reset", status_code=202)
    async def password_reset(self, data: JSONBody[PasswordReset], request: ApiRequest) -> None:
        """202 whether or not the e-mail is an account's (no account enumeration)."""
        await service.send_password_reset(request.services, data.email)

    @patch("/{uid:str}")
    async def set_status(
        self, uid: Uid, data: JSONBody[AccountUpdate], request: ApiRequest
    ) -> AccountState:
        """Disabling also revokes the account's refresh tokens (an admin blocked the user)."""
        return await service.set_status(request.services, uid, data)

    @delete("/{uid:str}", status_code=204)
    async def remove(self, uid: Uid, request: ApiRequest) -> None:
        await service.delete(request.services, uid)
