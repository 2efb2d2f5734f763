"""Firebase Auth accounts: creating, signing in (password, Google), the reset mail, disabling and
deleting. The Firebase client (firebase.py) carries the calls; what their answers mean is here,
in pure functions of an answer where it can be."""

from typing import Any
from urllib.parse import urlencode

from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors
from litestar.exceptions import ClientException, NotAuthorizedException

from authentication.accounts.models import (
    Account,
    AccountCreate,
    AccountState,
    AccountUpdate,
    GoogleAccount,
    PasswordLogin,
)
from authentication.errors import Conflict, ServiceUnavailable, TooManyRequests
from authentication.services import Services

# Identity Toolkit error codes that mean "these credentials do not sign in".
_BAD_CREDENTIALS = {"EMAIL_NOT_FOUND", "INVALID_PASSWORD", "INVALID_LOGIN_CREDENTIALS"}
# And those that mean "this is no account's e-mail" (an empty one is MISSING_EMAIL).
_NO_ACCOUNT = {"EMAIL_NOT_FOUND", "INVALID_EMAIL", "MISSING_EMAIL"}


def error_code(data: dict[str, Any]) -> str:
    """The code of an Identity Toolkit error body."""
    message = str(data.get("error", {}).get("message", ""))
    # Messages look like "WEAK_PASSWORD : Password should be at least 6 characters".
    return message.split(" ", 1)[0].split(":", 1)[0]


def idp_post_body(credential: str) -> str:
    # Google ID tokens are JWTs (the emulator also takes an unsigned JSON); anything else is an
    # OAuth access token, which is what the mobile app's Google sign-in hands over.
    # URL-encoded: a credential carrying "&providerId=…" or "&id_token=…" stays one value.
    stripped = credential.strip()
    kind = "id_token" if stripped.startswith("{") or stripped.count(".") == 2 else "access_token"
    return urlencode({kind: stripped, "providerId": "google.com"})


def password_signed_in(status: int, data: dict[str, Any]) -> Account:
    """The account that `accounts:signInWithPassword` answered, or why it did not sign in."""
    if status == 200:
        return Account(id=data["localId"], email=data["email"])
    code = error_code(data)
    if code == "USER_DISABLED":
        raise NotAuthorizedException("User is blocked")
    if code in _BAD_CREDENTIALS | _NO_ACCOUNT or code == "MISSING_PASSWORD":
        raise NotAuthorizedException("Invalid credentials")
    if code == "TOO_MANY_ATTEMPTS_TRY_LATER":
        raise TooManyRequests("Too many attempts, try later")
    raise ServiceUnavailable(f"Firebase Auth refused the sign-in ({code})")


def google_signed_in(status: int, data: dict[str, Any], claimed_email: str | None) -> GoogleAccount:
    """The account that `accounts:signInWithIdp` answered: its e-mail verified and, when the
    client claimed one, the same (in any case)."""
    if status != 200:
        if error_code(data) == "USER_DISABLED":
            raise NotAuthorizedException("User is blocked")
        raise NotAuthorizedException("Invalid IDP Token")
    email = data.get("email")
    if not email or data.get("emailVerified") is False:
        raise NotAuthorizedException("Invalid IDP Token")
    if claimed_email is not None and claimed_email.strip().lower() != str(email).lower():
        raise NotAuthorizedException("The Google account does not match the email")
    uid = str(data["localId"])
    return GoogleAccount(
        id=uid, email=str(email), uid=uid, is_new_user=data.get("isNewUser") is True
    )


async def create(services: Services, data: AccountCreate) -> Account:
    try:
        user = await services.firebase_auth.admin(
            auth.create_user, email=data.email, password=data.password
        )
    except auth.EmailAlreadyExistsError as error:
        raise Conflict("User with that email already present") from error
    except ValueError as error:  # the SDK validates email shape and password length
        raise ClientException(str(error)) from error
    except firebase_errors.InvalidArgumentError as error:
        raise ClientException(str(error)) from error
    return Account(id=str(user.uid), email=data.email)


async def login(services: Services, data: PasswordLogin) -> Account:
    status, answer = await services.firebase_auth.rest(
        "accounts:signInWithPassword",
        {"email": data.email, "password": data.password, "returnSecureToken": False},
    )
    return password_signed_in(status, answer)


async def login_with_google(
    services: Services, authorization: str | None, claimed_email: str | None
) -> GoogleAccount:
    """The Google credential is the raw Authorization header, as the mobile app sends it."""
    if not authorization or not authorization.strip():
        raise NotAuthorizedException("No token")
    status, answer = await services.firebase_auth.rest(
        "accounts:signInWithIdp",
        {
            "postBody": idp_post_body(authorization),
            "requestUri": "http://localhost",
            "returnSecureToken": False,
            "returnIdpCredential": True,
        },
    )
    return google_signed_in(status, answer, claimed_email)


async def send_password_reset(services: Services, email: str) -> None:
    status, answer = await services.firebase_auth.rest(
        "accounts:sendOobCode", {"requestType": "PASSWORD_RESET", "email": email}
    )
    # Unknown e-mails are not reported: callers must not learn who has an account.
    if status != 200 and error_code(answer) not in _NO_ACCOUNT:
        raise ServiceUnavailable("Could not send the password reset e-mail")


async def set_status(services: Services, uid: str, data: AccountUpdate) -> AccountState:
    """Disabling also revokes the account's refresh tokens (an admin blocked the user)."""
    await services.firebase_auth.admin(auth.update_user, uid, disabled=data.disabled)
    if data.disabled:
        await services.firebase_auth.admin(auth.revoke_refresh_tokens, uid)
    return AccountState(id=uid, disabled=data.disabled)


async def delete(services: Services, uid: str) -> None:
    await services.firebase_auth.admin(auth.delete_user, uid)
