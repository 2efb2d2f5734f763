"""Firebase Auth accounts, for the users service."""

from typing import Annotated

from litestar import Controller, delete, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from authentication.accounts import service
from authentication.accounts.models import (
    Account,
    AccountCreate,
    AccountState,
    AccountUpdate,
    GoogleAccount,
    GoogleLogin,
    PasswordLogin,
    PasswordReset,
)
from authentication.security import require_service_token
from authentication.services import Services


class AccountController(Controller):
    path = "/auth/accounts"
    tags = ["accounts"]
    guards = [require_service_token]

    @post("/", status_code=201)
    async def create(
        self, data: JSONBody[AccountCreate], services: NamedDependency[Services]
    ) -> Account:
        return await service.create(services, data)

    @post("/login", status_code=200)
    async def login(
        self, data: JSONBody[PasswordLogin], services: NamedDependency[Services]
    ) -> Account:
        return await service.login(services, data)

    @post("/login/google", status_code=200)
    async def login_with_google(
        self,
        data: JSONBody[GoogleLogin],
        services: NamedDependency[Services],
        authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
    ) -> GoogleAccount:
        """The Google credential arrives raw in Authorization, as the mobile app sends it."""
        return await service.login_with_google(services, authorization, data.email)

    @post("/password-reset", status_code=202)
    async def password_reset(
        self, data: JSONBody[PasswordReset], services: NamedDependency[Services]
    ) -> None:
        await service.send_password_reset(services, data.email)

    @patch("/{uid:str}")
    async def set_status(
        self, uid: FromPath[str], data: JSONBody[AccountUpdate], services: NamedDependency[Services]
    ) -> AccountState:
        """Disabling also revokes the account's refresh tokens (an admin blocked the user)."""
        return await service.set_status(services, uid, data)

    @delete("/{uid:str}", status_code=204)
    async def remove(self, uid: FromPath[str], services: NamedDependency[Services]) -> None:
        await service.delete(services, uid)
