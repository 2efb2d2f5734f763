"""Accounts: sign-up (e-mail or Google), logins (password, Bearer re-login and Google for
users, password for admins) and password recovery (the reset e-mail goes out in the
background, whatever the outcome)."""

import json
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
)

from users import events, outbox
from users.accounts.models import GoogleSignUp
from users.admins import repository as admins
from users.clients.auth import Account
from users.errors import UpstreamError
from users.profiles import repository
from users.profiles.avatar import avatar_name
from users.profiles.models import ProfileFields, User
from users.services import Services

log = logging.getLogger(__name__)


# Sign-up: the Firebase account, the row, the position, the avatar and the wallet, so that a
# failure at any step leaves nothing behind (each completed step is undone, the row deleted).
# The wallet is the exception: when payment is down it is created on first use instead.
#
# No database connection is held across a remote call: the row is committed first, in a short
# transaction of its own, and the remote steps (MongoDB, storage, payment, which waits for the
# gas grant to be mined) run with no connection, each recorded for compensation.

EMAIL_TAKEN = "User with that email already present"
USERNAME_TAKEN = "User with that username already present"


async def check_free(services: Services, email: str, username: str) -> None:
    async with services.pool.acquire() as conn:
        which = await repository.taken(conn, email, username)
    if which == "email":
        raise ClientException(EMAIL_TAKEN)
    if which == "username":
        raise ClientException(USERNAME_TAKEN)


def unique_violation(error: asyncpg.UniqueViolationError) -> ClientException:
    constraint = error.constraint_name or ""
    return ClientException(EMAIL_TAKEN if "email" in constraint else USERNAME_TAKEN)


async def _undo(what: str, step: Callable[[], Awaitable[None]]) -> None:
    try:
        await step()
    except Exception:
        log.exception("sign-up compensation failed: %s left behind", what)


async def sign_up_with_google(services: Services, data: GoogleSignUp, credential: str) -> User:
    """The raw Google credential; its verified e-mail must be `data.email`."""
    await check_free(services, data.email, data.username)
    account = await services.auth.sign_in_with_google(credential, data.email)
    return await provision(services, data, account, account.email, via="google")


async def sign_up_with_email(
    services: Services, data: ProfileFields, email: str, password: str
) -> User:
    await check_free(services, email, data.username)
    try:
        account = await services.auth.create_account(email, password)
    except UpstreamError as error:
        if error.status_code != 409:
            raise
        account = await _adopt_orphan(services, email, password)
        return await provision(services, data, account, email, via="email", owns_account=False)
    return await provision(services, data, account, email, via="email")


async def _adopt_orphan(services: Services, email: str, password: str) -> Account:
    """A Firebase account without a users row (a sign-up that crashed half-way) is taken over
    when the password proves it is the same person, unless an admin owns it."""
    try:
        account = await services.auth.check_password(email, password)
    except UpstreamError as error:
        raise ClientException(EMAIL_TAKEN) from error
    async with services.pool.acquire() as conn:
        if await admins.uid_taken(conn, account.uid):
            raise ClientException(EMAIL_TAKEN)
    return account


async def provision(
    services: Services,
    data: ProfileFields,
    account: Account,
    email: str,
    via: str,
    owns_account: bool = True,
) -> User:
    """Everything after the Firebase account; on any failure, what was done is undone, the row
    deleted and the account too (unless it existed before this sign-up)."""
    undo: list[tuple[str, Callable[[], Awaitable[None]]]] = []
    if owns_account:
        undo.append(("firebase account", lambda: services.auth.delete_account(account.uid)))
    try:
        async with services.pool.acquire() as conn, conn.transaction():
            try:
                user = await repository.insert_user(
                    conn, account.uid, email, data.model_dump(), via
                )
            except asyncpg.UniqueViolationError as error:
                raise unique_violation(error) from error
        undo.append(("users row", lambda: _delete_row(services, user.id)))
        if data.coordinates:
            lon, lat = data.coordinates
            undo.append(("position", lambda: services.positions.remove(user.id)))
            await services.positions.save(user.id, data.is_athlete, lon, lat)
        if data.image:
            undo.append(("avatar", lambda: services.storage.delete(avatar_name(user.id))))
            await services.storage.put(avatar_name(user.id), data.image)
        await services.payment.try_create_wallet(user.id)
        async with services.pool.acquire() as conn, conn.transaction():
            if data.image:
                await repository.set_has_image(conn, user.id)
            label = events.USING_EMAIL_PASSWORD if via == "email" else events.USING_IDP
            await outbox.enqueue(conn, events.SOURCE, events.USER_CREATED_COUNT, label)
            if data.location:
                await outbox.enqueue(
                    conn, events.SOURCE, events.USER_BY_REGION_COUNT, data.location
                )
    except BaseException:
        for what, step in reversed(undo):
            await _undo(what, step)
        raise
    services.relay.notify()
    return user


async def _delete_row(services: Services, user_id: int) -> None:
    async with services.pool.acquire() as conn:
        await repository.delete_user(conn, user_id)


# Logins.

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
        await outbox.enqueue(conn, events.SOURCE, events.USER_LOGIN_COUNT, label)
    services.relay.notify()
    return token


async def login_with_password(services: Services, email: str, password: str) -> tuple[str, int]:
    async with services.pool.acquire() as conn:
        found = await repository.get_login(conn, email)
    if found is None:  # same answer as a wrong password: no account enumeration
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    user, uid = found
    account = await services.auth.check_password(user.email, password)
    if account.uid != uid:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    _refuse_blocked(user)
    return await _user_token(services, user, events.USING_EMAIL_PASSWORD), user.id


async def login_with_token(services: Services, authorization: str) -> tuple[str, int]:
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
        await outbox.enqueue(
            conn, events.SOURCE, events.USER_LOGIN_COUNT, events.USING_EMAIL_PASSWORD
        )
    services.relay.notify()
    return authorization.partition(" ")[2].strip(), user.id


async def login_with_google(
    services: Services, credential: str, email: str | None
) -> tuple[str, int]:
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
    return await _user_token(services, user, events.USING_IDP), user.id


async def admin_login(services: Services, email: str, password: str) -> tuple[str, int]:
    async with services.pool.acquire() as conn:
        admin = await admins.get_login(conn, email)
    if admin is None:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    account = await services.auth.check_password(admin.email, password)
    if account.uid != admin.firebase_uid:
        raise NotAuthorizedException(INVALID_CREDENTIALS)
    return await services.auth.issue_token("admin", admin.id), admin.id


# Password recovery.


def username_from_body(body: bytes) -> str | None:
    """A bare JSON string (`"jorge"`), `{"username": …}`, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested past what json can read
        value = text
    if isinstance(value, dict):
        value = value.get("username")
    if isinstance(value, str) and 0 < len(value.strip()) <= 100:
        return value.strip()
    return None


async def send_reset(services: Services, username: str) -> None:
    try:
        async with services.pool.acquire() as conn:
            await outbox.enqueue(conn, events.SOURCE, events.USER_PASSWORD_RECOVERY_COUNT)
            found = await repository.get_by_username(conn, username)
        services.relay.notify()
        if found is not None:
            await services.auth.send_password_reset(found[0].email)
    except HTTPException as error:
        log.warning("password reset for %r not sent: %s", username, error.detail)
    except (UnicodeError, asyncpg.DataError) as error:  # a NUL: no account has such a name
        log.info("password reset for %r not sent: %r", username, error)
    except Exception:
        log.exception("password reset for %r failed", username)
