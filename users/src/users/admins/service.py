"""Creating admins (by an admin, or the bootstrap one at start-up) and blocking users."""

import asyncio
import logging
from datetime import datetime

import asyncpg
from litestar.exceptions import ClientException, NotFoundException

from users import blocking, events, outbox
from users.admins import repository
from users.admins.models import Admin
from users.audit import repository as audit
from users.audit.models import Action, TargetType
from users.db import Connection
from users.errors import Conflict, UpstreamError
from users.profiles import repository as users
from users.profiles.models import User
from users.services import Services

log = logging.getLogger(__name__)

ADMIN_TAKEN = "Admin with that email or username already present"


async def create_admin(
    services: Services,
    username: str,
    email: str,
    password: str,
    existing_ok: bool = False,
    by_admin: int | None = None,
) -> Admin:
    """`by_admin`: the admin creating it, recorded in the audit log with the new row (the
    bootstrap admin, created by the service itself at start-up, has none)."""
    async with services.pool.acquire() as conn:
        if await repository.taken(conn, email, username):
            raise Conflict(ADMIN_TAKEN)
    created = True
    try:
        account = await services.auth.create_account(email, password)
    except UpstreamError as error:
        if error.status_code != 409:
            raise
        if not existing_ok:
            raise Conflict(ADMIN_TAKEN) from error
        # The bootstrap admin's Firebase account outlived its row: prove it is ours.
        account = await services.auth.check_password(email, password)
        created = False
        async with services.pool.acquire() as conn:
            if await users.uid_taken(conn, account.uid):
                raise Conflict(ADMIN_TAKEN) from error
    try:
        async with services.pool.acquire() as conn, conn.transaction():
            admin = await repository.insert_admin(conn, account.uid, email, username)
            if by_admin is not None:
                after = {"username": admin.username, "email": admin.email}
                await audit.record(
                    conn, by_admin, Action.ADMIN_CREATED, TargetType.ADMIN, admin.id, after=after
                )
            return admin
    except BaseException as error:
        if created:
            await services.auth.delete_account(account.uid)
        if isinstance(error, asyncpg.UniqueViolationError):
            raise Conflict(ADMIN_TAKEN) from error
        raise


async def list_admins(services: Services) -> list[Admin]:
    async with services.pool.acquire() as conn:
        return await repository.list_admins(conn)


async def bootstrap_admin(services: Services) -> None:
    """Creates the configured first admin unless it exists, and at every start reconciles its
    row with the Firebase account at the configured e-mail; retries while authentication is
    not up yet (start-up order is not guaranteed in a cluster)."""
    settings = services.settings
    if not settings.bootstrap_admin_email or not settings.bootstrap_admin_password:
        return
    email = settings.bootstrap_admin_email
    password = settings.bootstrap_admin_password.get_secret_value()
    delay = 1.0
    while True:
        try:
            async with services.pool.acquire() as conn:
                existing = await repository.get_login(conn, email)
            if existing is None:
                admin = await create_admin(
                    services, settings.bootstrap_admin_username, email, password, existing_ok=True
                )
                log.info("bootstrap admin %s created with id %s", email, admin.id)
            else:
                await _reconcile(services, existing.id, existing.firebase_uid, email, password)
            return
        except (ClientException, UpstreamError, Conflict) as error:
            log.error("bootstrap admin %s not created: %s", email, error.detail)
            return
        except Exception as error:
            log.warning("bootstrap admin: %s; retrying in %.0f s", error, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60)


async def _reconcile(
    services: Services, admin_id: int, row_uid: str, email: str, password: str
) -> None:
    """The row follows the Firebase account at the configured e-mail, proved by the configured
    password: an account that was deleted is created again, one re-created under a new uid
    (Firebase accounts reset) is adopted. Nothing else can claim the row: an account at that
    e-mail with another password, or one that belongs to a user, is refused and logged."""
    try:
        account = await services.auth.check_password(email, password)
    except UpstreamError as error:
        if error.status_code != 401:
            raise
        try:
            account = await services.auth.create_account(email, password)
        except UpstreamError as error:
            if error.status_code == 409:
                log.error(
                    "bootstrap admin %s: a Firebase account with this e-mail exists and the "
                    "configured password does not sign in to it; the admin row is left as it is",
                    email,
                )
                return
            raise
        log.warning("bootstrap admin %s had no Firebase account; created it again", email)
    if account.uid == row_uid:
        return
    async with services.pool.acquire() as conn:
        if await users.uid_taken(conn, account.uid):
            log.error("bootstrap admin %s: Firebase account %s is a user's", email, account.uid)
            return
        await repository.set_firebase_uid(conn, admin_id, account.uid)
    log.warning(
        "bootstrap admin %s now follows Firebase account %s (was %s)", email, account.uid, row_uid
    )


async def toggle_block(services: Services, user_id: int, by_admin: int) -> User:
    """Blocking disables the Firebase account and revokes its refresh tokens, flips the row and
    puts the id in the Redis set every service checks; unblocking reverses all three. The
    Firebase call runs with no connection held; the row then changes in a short transaction
    (two toggles racing both set the state they read, so they never disagree with Firebase),
    with its audit entry."""
    async with services.pool.acquire() as conn:
        user = await users.get_user(conn, user_id)
    if user is None:
        raise NotFoundException("User not found")
    blocked = not user.is_blocked
    await set_account_disabled(services, user_id, blocked)
    async with services.pool.acquire() as conn, conn.transaction():
        updated = await write_block(conn, user, blocked, by_admin)
    await blocking.mark(services.redis, user_id, blocked)
    services.relay.notify()
    return updated


async def set_account_disabled(services: Services, user_id: int, disabled: bool) -> None:
    """The Firebase side of a block (with no connection held): 404 for an unknown user; an
    account already gone cannot sign in anyway."""
    async with services.pool.acquire() as conn:
        uid = await users.firebase_uid(conn, user_id)
    if uid is None:
        raise NotFoundException("User not found")
    try:
        await services.auth.set_disabled(uid, disabled)
    except UpstreamError as error:
        if error.status_code != 404:
            raise
        log.warning("user %s has no Firebase account %s", user_id, uid)


async def write_block(conn: Connection, user: User, blocked: bool, by_admin: int) -> User:
    """The database side of a block, inside the caller's transaction: the row, the event and
    the audit entry. The caller marks the Redis set and wakes the relay after the commit. A
    suspension made a block was counted when it began: no second event."""
    updated = await users.set_blocked(conn, user.id, blocked)
    if updated is None:
        raise NotFoundException("User not found")
    if user.is_blocked != blocked:
        metric = events.USER_BLOCKED_COUNT if blocked else events.USER_UNBLOCKED_COUNT
        await outbox.enqueue(conn, events.SOURCE, metric)
    await audit.record(
        conn,
        by_admin,
        Action.USER_BLOCKED if blocked else Action.USER_UNBLOCKED,
        TargetType.USER,
        user.id,
        before={"is_blocked": user.is_blocked},
        after={"is_blocked": updated.is_blocked},
    )
    return updated


async def write_suspension(conn: Connection, user: User, days: int, by_admin: int) -> None:
    """The database side of a suspension, inside the caller's transaction (the Firebase account
    is disabled first, as for a block). A block without an end stays one: a suspension never
    shortens it. A suspended user is suspended again from now."""
    before = await users.suspended_until(conn, user.id)
    if user.is_blocked and before is None:
        return
    until = await users.suspend(conn, user.id, days)
    if until is None:
        raise NotFoundException("User not found")
    if not user.is_blocked:
        await outbox.enqueue(conn, events.SOURCE, events.USER_BLOCKED_COUNT)
    await audit.record(
        conn,
        by_admin,
        Action.USER_SUSPENDED,
        TargetType.USER,
        user.id,
        before={"is_blocked": user.is_blocked, "suspended_until": _iso(before)},
        after={"is_blocked": True, "suspended_until": _iso(until), "days": days},
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def lift_expired_suspensions(services: Services, batch: int = 100) -> int:
    """Unblocks every user whose suspension has run out, as the unblock toggle does: Firebase
    first, then the row with its event and audit entry, then the Redis set. A step that fails
    leaves the suspension due, and the next sweep takes it again. Answers how many it lifted."""
    async with services.pool.acquire() as conn:
        due = await users.suspensions_due(conn, batch)
    lifted = 0
    for user_id in due:
        try:
            await set_account_disabled(services, user_id, False)
        except NotFoundException:
            continue  # the account went meanwhile
        async with services.pool.acquire() as conn, conn.transaction():
            ran_out = await users.lift_suspension(conn, user_id)
            if ran_out is not None:
                await outbox.enqueue(conn, events.SOURCE, events.USER_UNBLOCKED_COUNT)
                await audit.record(
                    conn,
                    None,
                    Action.SUSPENSION_EXPIRED,
                    TargetType.USER,
                    user_id,
                    before={"is_blocked": True, "suspended_until": _iso(ran_out)},
                    after={"is_blocked": False, "suspended_until": None},
                )
            still_blocked = ran_out is None and await users.is_blocked(conn, user_id)
        if still_blocked:
            # An admin extended the suspension or made it a block while Firebase was enabled.
            await set_account_disabled(services, user_id, True)
            continue
        if ran_out is not None:
            await blocking.mark(services.redis, user_id, False)
            lifted += 1
    if lifted:
        services.relay.notify()
    return lifted


async def keep_lifting_suspensions(services: Services, interval: float) -> None:
    while True:
        try:
            await lift_expired_suspensions(services)
        except Exception as error:  # an outage (database, authentication): the next sweep retries
            log.warning("suspensions not lifted: %s", error)
        await asyncio.sleep(interval)
