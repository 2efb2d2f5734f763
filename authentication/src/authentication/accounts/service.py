"""Firebase Auth accounts: the admin SDK for account management, the Identity Toolkit REST API
(with the web API key) for what only an end user can do: password and Google sign-in, reset mail.
"""

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import firebase_admin
import httpx
from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
)

from authentication.errors import Conflict, ServiceUnavailable


@dataclass(frozen=True)
class SignedIn:
    uid: str
    email: str
    # Google sign-in only: this sign-in created the Firebase account.
    is_new_user: bool = False


# Identity Toolkit error codes that mean "these credentials do not sign in".
_BAD_CREDENTIALS = {"EMAIL_NOT_FOUND", "INVALID_PASSWORD", "INVALID_LOGIN_CREDENTIALS"}
_BAD_IDP_CREDENTIAL = ("INVALID_IDP_RESPONSE", "INVALID_ID_TOKEN", "INVALID_CREDENTIAL")


def _identity_toolkit_url() -> str:
    emulator = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    if emulator:
        return f"http://{emulator}/identitytoolkit.googleapis.com/v1"
    return "https://identitytoolkit.googleapis.com/v1"


def _idp_post_body(credential: str) -> str:
    # Google ID tokens are JWTs (the emulator also takes an unsigned JSON); anything else is an
    # OAuth access token, which is what the mobile app's Google sign-in hands over.
    # URL-encoded: a credential carrying "&providerId=…" or "&id_token=…" stays one value.
    stripped = credential.strip()
    kind = "id_token" if stripped.startswith("{") or stripped.count(".") == 2 else "access_token"
    return urlencode({kind: stripped, "providerId": "google.com"})


class FirebaseAccounts:
    def __init__(self, app: firebase_admin.App, http: httpx.AsyncClient, api_key: str) -> None:
        self._app = app
        self._http = http
        self._api_key = api_key
        self._base = _identity_toolkit_url()

    async def _admin(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Runs a blocking admin-SDK call in a worker thread, mapping outages to 503."""

        def call() -> Any:
            return function(*args, app=self._app, **kwargs)

        try:
            return await anyio.to_thread.run_sync(call)
        except auth.UserNotFoundError as error:
            raise NotFoundException("No such account") from error
        except (firebase_errors.UnavailableError, firebase_errors.DeadlineExceededError) as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error
        except firebase_errors.UnknownError as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error

    async def _rest(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            response = await self._http.post(
                f"{self._base}/{method}", params={"key": self._api_key}, json=body
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error
        # 501: the emulator cannot check this kind of credential (Google access tokens); to a
        # caller that is a credential we could not verify, not an outage.
        if response.status_code >= 500 and response.status_code != 501:
            raise ServiceUnavailable("Firebase Auth is unavailable")
        try:
            data = response.json()
        except json.JSONDecodeError as error:
            raise ServiceUnavailable("Firebase Auth answered garbage") from error
        return response.status_code, data

    @staticmethod
    def _error_code(data: dict[str, Any]) -> str:
        message = str(data.get("error", {}).get("message", ""))
        # Messages look like "WEAK_PASSWORD : Password should be at least 6 characters".
        return message.split(" ", 1)[0].split(":", 1)[0]

    async def create(self, email: str, password: str) -> str:
        try:
            user = await self._admin(auth.create_user, email=email, password=password)
        except auth.EmailAlreadyExistsError as error:
            raise Conflict("User with that email already present") from error
        except ValueError as error:  # the SDK validates email shape and password length
            raise ClientException(str(error)) from error
        except firebase_errors.InvalidArgumentError as error:
            raise ClientException(str(error)) from error
        return str(user.uid)

    async def check_password(self, email: str, password: str) -> SignedIn:
        status, data = await self._rest(
            "accounts:signInWithPassword",
            {"email": email, "password": password, "returnSecureToken": False},
        )
        if status == 200:
            return SignedIn(uid=data["localId"], email=data["email"])
        code = self._error_code(data)
        if code == "USER_DISABLED":
            raise NotAuthorizedException("User is blocked")
        if code in _BAD_CREDENTIALS or code in ("INVALID_EMAIL", "MISSING_PASSWORD"):
            raise NotAuthorizedException("Invalid credentials")
        if code == "TOO_MANY_ATTEMPTS_TRY_LATER":
            raise ClientException("Too many attempts, try later", status_code=429)
        raise ServiceUnavailable(f"Firebase Auth refused the sign-in ({code})")

    async def sign_in_with_google(self, credential: str, claimed_email: str | None) -> SignedIn:
        status, data = await self._rest(
            "accounts:signInWithIdp",
            {
                "postBody": _idp_post_body(credential),
                "requestUri": "http://localhost",
                "returnSecureToken": False,
                "returnIdpCredential": True,
            },
        )
        if status != 200:
            code = self._error_code(data)
            if code == "USER_DISABLED":
                raise NotAuthorizedException("User is blocked")
            raise NotAuthorizedException("Invalid IDP Token")
        email = data.get("email")
        if not email or data.get("emailVerified") is False:
            raise NotAuthorizedException("Invalid IDP Token")
        if claimed_email is not None and claimed_email.strip().lower() != str(email).lower():
            raise NotAuthorizedException("The Google account does not match the email")
        return SignedIn(
            uid=str(data["localId"]), email=str(email), is_new_user=data.get("isNewUser") is True
        )

    async def send_password_reset(self, email: str) -> None:
        status, data = await self._rest(
            "accounts:sendOobCode", {"requestType": "PASSWORD_RESET", "email": email}
        )
        # Unknown e-mails are not reported: callers must not learn who has an account.
        if status != 200 and self._error_code(data) not in ("EMAIL_NOT_FOUND", "INVALID_EMAIL"):
            raise ServiceUnavailable("Could not send the password reset e-mail")

    async def set_disabled(self, uid: str, disabled: bool) -> None:
        await self._admin(auth.update_user, uid, disabled=disabled)
        if disabled:
            await self._admin(auth.revoke_refresh_tokens, uid)

    async def delete(self, uid: str) -> None:
        await self._admin(auth.delete_user, uid)

    async def ping(self) -> None:
        """Readiness: one cheap admin call that reaches Firebase Auth."""
        await self._admin(auth.list_users, max_results=1)
