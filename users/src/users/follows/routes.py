"""GET followed/followers (plain arrays of users); follow and unfollow only as yourself."""

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, HttpMethod, Request, get, route
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException

from users.db import Connection
from users.events import outbox
from users.follows import repository
from users.pagination import UserId
from users.profiles.models import User
from users.services import Services
from users.tokens import Caller

NOT_FOUND = "User not found"


class FollowController(Controller):
    path = "/users/{user_id:int}"
    tags = ("follows",)

    @get("/followed")
    async def followed(
        self, user_id: UserId, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> list[User]:
        return await _listing(services, user_id, repository.followed_by)

    @get("/followers")
    async def followers(
        self, user_id: UserId, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> list[User]:
        return await _listing(services, user_id, repository.followers_of)

    @route(
        "/followed/{other_id:int}",
        http_method=[HttpMethod.POST, HttpMethod.DELETE],
        status_code=200,
    )
    async def follow(
        self,
        request: Request[Any, Any, Any],
        user_id: UserId,
        other_id: UserId,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
    ) -> list[User]:
        """POST follows, DELETE unfollows; both answer the updated followed list (as in 2023)."""
        follow = request.method == HttpMethod.POST
        return await _change(services, caller, user_id, other_id, follow=follow)


async def _listing(
    services: Services, user_id: int, fetch: Callable[[Connection, int], Awaitable[list[User]]]
) -> list[User]:
    async with services.pool.acquire() as conn:
        if not await repository.exists(conn, user_id):
            raise NotFoundException(NOT_FOUND)
        return await fetch(conn, user_id)


async def _change(
    services: Services, caller: Caller, user_id: int, other_id: int, follow: bool
) -> list[User]:
    caller.require_self(user_id)
    if follow and other_id == user_id:
        raise ClientException("User can't follow himself")
    async with services.pool.acquire() as conn, conn.transaction():
        if not await repository.exists(conn, user_id) or not await repository.exists(
            conn, other_id
        ):
            raise NotFoundException(NOT_FOUND)
        change = repository.follow if follow else repository.unfollow
        if await change(conn, user_id, other_id):
            metric = outbox.USER_FOLLOWED if follow else outbox.USER_UNFOLLOWED
            await outbox.enqueue(conn, metric)
        result = await repository.followed_by(conn, user_id)
    services.relay.notify()
    return result
