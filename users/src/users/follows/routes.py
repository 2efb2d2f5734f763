"""GET followed/followers (plain arrays of users); follow and unfollow only as yourself."""

from typing import Any

from litestar import Controller, HttpMethod, Request, get, route
from litestar.di import NamedDependency

from users.follows import service
from users.pagination import Offset, OptionalLimit, UserId, clamp
from users.profiles.models import User
from users.services import Services
from users.tokens import Caller


class FollowController(Controller):
    path = "/users/{user_id:int}"
    tags = ("follows",)

    @get("/followed")
    async def followed(
        self,
        user_id: UserId,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        offset: Offset = 0,
        limit: OptionalLimit = None,
    ) -> list[User]:
        """Whom the user follows, oldest follow first: the whole list (as in 2023), or a page
        of it with `limit`."""
        return await service.followed(services, user_id, offset, clamp(limit))

    @get("/followers")
    async def followers(
        self,
        user_id: UserId,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        offset: Offset = 0,
        limit: OptionalLimit = None,
    ) -> list[User]:
        """Who follows the user, oldest follow first: the whole list (as in 2023), or a page
        of it with `limit`."""
        return await service.followers(services, user_id, offset, clamp(limit))

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
        caller.require_self(user_id)
        follow = request.method == HttpMethod.POST
        return await service.change(services, user_id, other_id, follow=follow)
