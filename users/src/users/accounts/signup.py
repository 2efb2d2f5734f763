"""Sign-up: the Firebase account, the row, the position, the avatar and the wallet, so that a
failure at any step leaves nothing behind (each completed step is undone, the row deleted).
The wallet is the exception: when payment is down it is created on first use instead.

No database connection is held across a remote call: the row is committed first, in a short
transaction of its own, and the remote steps (MongoDB, storage, payment, which waits for the
gas grant to be mined) run with no connection, each recorded for compensation."""

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from litestar.exceptions import ClientException

from users.accounts.models import GoogleSignUp
from users.admins import repository as admins
from users.clients.auth import Account, avatar_name
from users.errors import UpstreamError
from users.events import outbox
from users.profiles import repository
from users.profiles.models import ProfileFields, User
from users.services import Services

log = logging.getLogger(__name__)

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
            undo.append(("avatar", lambda: services.auth.delete_image(avatar_name(user.id))))
            await services.auth.put_image(avatar_name(user.id), data.image)
        await services.payment.try_create_wallet(user.id)
        async with services.pool.acquire() as conn, conn.transaction():
            if data.image:
                await repository.set_has_image(conn, user.id)
            label = outbox.USING_EMAIL_PASSWORD if via == "email" else outbox.USING_IDP
            await outbox.enqueue(conn, outbox.USER_CREATED, label)
            if data.location:
                await outbox.enqueue(conn, outbox.USER_BY_REGION, data.location)
    except BaseException:
        for what, step in reversed(undo):
            await _undo(what, step)
        raise
    services.relay.notify()
    return user


async def _delete_row(services: Services, user_id: int) -> None:
    async with services.pool.acquire() as conn:
        await repository.delete_user(conn, user_id)
