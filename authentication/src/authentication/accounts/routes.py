"""Firebase Auth accounts, for the users service."""

from typing import Annotated

from litestar import Controller, delete, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, HeaderParameter, JSONBody

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
from authentication.accounts.service import FirebaseAccounts
from authentication.security import require_service_token


class AccountController(Controller):
    path = "/auth/accounts"
    tags = ["accounts"]
    guards = [require_service_token]

    @post("/", status_code=201)
    async def create(
        self, data: JSONBody[AccountCreate], accounts: NamedDependency[FirebaseAccounts]
    ) -> Account:
        uid = await accounts.create(data.email, data.password)
        return Account(id=uid, email=data.email)

    @post("/login", status_code=200)
    async def login(
        self, data: JSONBody[PasswordLogin], accounts: NamedDependency[FirebaseAccounts]
    ) -> Account:
        signed_in = await accounts.check_password(data.email, data.password)
        return Account(id=signed_in.uid, email=signed_in.email)

    @post("/login/google", status_code=200)
    async def login_with_google(
        self,
        data: JSONBody[GoogleLogin],
        accounts: NamedDependency[FirebaseAccounts],
        authorization: Annotated[str | None, HeaderParameter(name="Authorization")] = None,
    ) -> GoogleAccount:
        """The Google credential arrives raw in Authorization, as the mobile app sends it."""
        if not authorization or not authorization.strip():
            raise NotAuthorizedException("No token")
        signed_in = await accounts.sign_in_with_google(authorization, data.email)
        return GoogleAccount(
            id=signed_in.uid,
            email=signed_in.email,
            uid=signed_in.uid,
            is_new_user=signed_in.is_new_user,
        )

    @post("/password-reset", status_code=202)
    async def password_reset(
        self, data: JSONBody[PasswordReset], accounts: NamedDependency[FirebaseAccounts]
    ) -> None:
        await accounts.send_password_reset(data.email)

    @patch("/{uid:str}")
    async def set_status(
        self,
        uid: FromPath[str],
        data: JSONBody[AccountUpdate],
        accounts: NamedDependency[FirebaseAccounts],
    ) -> AccountState:
        """Disabling also revokes the account's refresh tokens (an admin blocked the user)."""
        await accounts.set_disabled(uid, data.disabled)
        return AccountState(id=uid, disabled=data.disabled)

    @delete("/{uid:str}", status_code=204)
    async def remove(self, uid: FromPath[str], accounts: NamedDependency[FirebaseAccounts]) -> None:
        await accounts.delete(uid)
