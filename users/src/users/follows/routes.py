"""GET followed/followers (plain arrays of users); follow and unfollow only as yourself."""

from litestar import Controller, HttpMethod, get, route

from users.follows import service
from users.pagination import Offset, OptionalLimit, UserId, clamp
from users.profiles.models import User
from users.security import ApiRequest


class FollowController(Controller):
    path = "/users/{user_id:int}"
    tags = ("follows",)

    @get("/followed")
    async def followed(
        self,
        user_id: UserId,
        request: ApiRequest,
        offset: Offset = 0,
        limit: OptionalLimit = None,
    ) -> list[User]:
        """Whom the user follows, oldest follow first: the whole list (as in 2023), or a page
        of it with `limit`."""
        return await service.followed(request.services, user_id, offset, clamp(limit))

    @get("/followers")
    async def followers(
        self,
        user_id: UserId,
        request: ApiRequest,
        offset: Offset = 0,
        limit: OptionalLimit = None,
    ) -> list[User]:
        """Who follows the user, oldest follow first: the whole list (as in 2023), or a page
        of it with `limit`."""
        return await service.followers(request.services, user_id, offset, clamp(limit))

    @route(
        "/followed/{other_id:int}",
        http_method=[HttpMethod.POST, HttpMethod.DELETE],
        status_code=200,
    )
    async def follow(
        self,
        request: ApiRequest,
        user_id: UserId,
        other_id: UserId,
    ) -> list[User]:
        """POST follows, DELETE unfollows; both answer the updated followed list (as in 2023)."""
        request.caller.require_self(user_id)
        follow = request.method == HttpMethod.POST
        return await service.change(request.services, user_id, other_id, follow=follow)
