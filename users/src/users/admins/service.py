"""Creating admins (by an admin, or the bootstrap one at start-up) and blocking users."""

import asyncio
import logging

import asyncpg
from litestar.exceptions import ClientException, NotFoundException

from users import blocking
from users.admins import repository
from users.admins.models import Admin
from users.errors import Conflict, UpstreamError
from users.events import outbox
from users.profiles import repository as users
from users.profiles.models import User
from users.services import Services

log = logging.getLogger(__name__)

ADMIN_TAKEN = "Admin with that email or username already present"


async def create_admin(
    services: Services, username: str, email: str, password: str, existing_ok: bool = False
) -> Admin:
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
    try:
        async with services.pool.acquire() as conn:
            return await repository.insert_admin(conn, account.uid, email, username)
    except BaseException as error:
        if created:
            await services.auth.delete_account(account.uid)
        if isinstance(error, asyncpg.UniqueViolationError):
            raise Conflict(ADMIN_TAKEN) from error
        raise


async def bootstrap_admin(services: Services) -> None:
    """Creates the configured first admin unless it exists; retries while authentication is
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
                await _restore_missing_account(services, existing.id, email, password)
            return
        except (ClientException, UpstreamError, Conflict) as error:
            log.error("bootstrap admin %s not created: %s", email, error.detail)
            return
        except Exception as error:
            log.warning("bootstrap admin: %s; retrying in %.0f s", error, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60)


async def _restore_missing_account(
    services: Services, admin_id: int, email: str, password: str
) -> None:
    """The bootstrap admin's row outlived its Firebase account (a reset emulator, a deleted
    account): create the account again so the configured credentials sign in."""
    try:
        await services.auth.check_password(email, password)
        return
    except UpstreamError as error:
        if error.status_code != 401:
            raise
    try:
        account = await services.auth.create_account(email, password)
    except UpstreamError as error:
        if error.status_code == 409:  # it exists with another password: an operator's choice
            return
        raise
    async with services.pool.acquire() as conn:
        await repository.set_firebase_uid(conn, admin_id, account.uid)
    log.warning("bootstrap admin %s had no Firebase account; created it again", email)


async def toggle_block(services: Services, user_id: int) -> User:
    """Blocking disables the Firebase account and revokes its refresh tokens, flips the row and
    puts the id in the Redis set every service checks; unblocking reverses all three."""
    async with services.pool.acquire() as conn, conn.transaction():
        user = await users.get_user_for_update(conn, user_id)
        uid = await users.firebase_uid(conn, user_id)
        if user is None or uid is None:
            raise NotFoundException("User not found")
        blocked = not user.is_blocked
        try:
            await services.auth.set_disabled(uid, blocked)
        except UpstreamError as error:
            if error.status_code != 404:  # an account already gone cannot sign in anyway
                raise
            log.warning("user %s has no Firebase account %s", user_id, uid)
        updated = await users.set_blocked(conn, user_id, blocked)
        assert updated is not None
        await outbox.enqueue(conn, outbox.USER_BLOCKED if blocked else outbox.USER_UNBLOCKED)
    await blocking.mark(services.redis, user_id, blocked)
    services.relay.notify()
    return updated
