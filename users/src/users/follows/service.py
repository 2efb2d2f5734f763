"""Followed and followers lists; follow and unfollow (the caller is already checked)."""

from collections.abc import Awaitable, Callable

from litestar.exceptions import ClientException, NotFoundException

from users import events, outbox
from users.db import Connection
from users.follows import repository
from users.profiles.models import User
from users.services import Services

NOT_FOUND = "User not found"


async def _listing(
    services: Services,
    user_id: int,
    fetch: Callable[[Connection, int, int, int | None], Awaitable[list[User]]],
    offset: int,
    limit: int | None,
) -> list[User]:
    """The list, or 404 for an unknown user: asked only when the list is empty, so a listing
    with users in it is one query."""
    async with services.pool.acquire() as conn:
        users = await fetch(conn, user_id, offset, limit)
        if not users and not await repository.exists(conn, user_id):
            raise NotFoundException(NOT_FOUND)
    return users


async def followed(
    services: Services, user_id: int, offset: int = 0, limit: int | None = None
) -> list[User]:
    return await _listing(services, user_id, repository.followed_by, offset, limit)


async def followers(
    services: Services, user_id: int, offset: int = 0, limit: int | None = None
) -> list[User]:
    return await _listing(services, user_id, repository.followers_of, offset, limit)


async def change(services: Services, user_id: int, other_id: int, follow: bool) -> list[User]:
    """Follows (or unfollows) and answers the updated followed list."""
    if follow and other_id == user_id:
        raise ClientException("User can't follow himself")
    async with services.pool.acquire() as conn, conn.transaction():
        if not await repository.exists(conn, user_id) or not await repository.exists(
            conn, other_id
        ):
            raise NotFoundException(NOT_FOUND)
        changed = repository.follow if follow else repository.unfollow
        if await changed(conn, user_id, other_id):
            metric = events.USER_FOLLOWED_COUNT if follow else events.USER_UNFOLLOWED_COUNT
            await outbox.enqueue(conn, events.SOURCE, metric)
        result = await repository.followed_by(conn, user_id)
    services.relay.notify()
    return result
