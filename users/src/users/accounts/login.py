"""Logins: password, Bearer re-login and Google for users, password for admins."""

from litestar.exceptions import NotAuthorizedException, NotFoundException

from users.admins import repository as admins
from users.events import outbox
from users.profiles import repository
from users.profiles.models import User
from users.services import Services

INVALID_CREDENTIALS = "Invalid credentials"
BLOCKED = "User is blocked"
NO_IDP_USER = {"message": "No IDP user with such an email"}


class UnknownGoogleUser(NotFoundException):
    """The mobile app opens the Google registration wizard on exactly this 404."""


def _refuse_blocked(user: User) -> None:
    if user.is_blocked:
        raise NotAuthorizedException(BLOCKED)


async def _user_token(services: Services, user: User, label: str) -> str:
    token = await services.auth.issue_token("user", user.id, user.is_athlete)
    async with services.pool.acquire() as conn:
        await outbox.enqueue(conn, outbox.USER_LOGIN, label)
    services.relay.notify()
    return token


async def with_password(services: Services, email: str, password: str) -> tuple[str, int]:
    async with services.pool.acquire() as conn:
        found = await repository.get_login(conn, email)
    if found is None:  # same answer as a wrong password: no account enumeration
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    user, uid = found
    account = await services.auth.check_password(user.email, password)
    if account.uid != uid:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    _refuse_blocked(user)
    return await _user_token(services, user, outbox.USING_EMAIL_PASSWORD), user.id


async def with_token(services: Services, authorization: str) -> tuple[str, int]:
    """A valid user token logs in again and gets the same token back, as in 2023: a re-login
    never extends a token's life, so a stolen token still dies at its `exp` (blocked users'
    tokens are refused by the verifier, and the row is checked too)."""
    caller = await services.verifier.verify(authorization)
    if caller.role != "user":
        raise NotAuthorizedException("Invalid token")
    async with services.pool.acquire() as conn:
        user = await repository.get_user(conn, caller.id)
        if user is None:
            raise NotAuthorizedException("Invalid token")
        _refuse_blocked(user)
        await outbox.enqueue(conn, outbox.USER_LOGIN, outbox.USING_EMAIL_PASSWORD)
    services.relay.notify()
    return authorization.partition(" ")[2].strip(), user.id


async def with_google(services: Services, credential: str, email: str | None) -> tuple[str, int]:
    account = await services.auth.sign_in_with_google(credential, email)
    async with services.pool.acquire() as conn:
        found = await repository.get_login(conn, account.email)
    if found is None:
        raise UnknownGoogleUser()
    user, uid = found
    # The e-mail alone proves nothing: the account must be the one the row was made with.
    if account.uid != uid:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    _refuse_blocked(user)
    return await _user_token(services, user, outbox.USING_IDP), user.id


async def admin_with_password(services: Services, email: str, password: str) -> tuple[str, int]:
    async with services.pool.acquire() as conn:
        admin = await admins.get_login(conn, email)
    if admin is None:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    account = await services.auth.check_password(admin.email, password)
    if account.uid != admin.firebase_uid:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    return await services.auth.issue_token("admin", admin.id), admin.id
