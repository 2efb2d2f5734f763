"""/admins (create and list need an admin token; login) and the block toggle."""

from litestar import Controller, get, patch, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody

from users.accounts import service as accounts
from users.accounts.models import LoginReply, PasswordLogin
from users.admins import service
from users.admins.models import Admin, AdminCreate
from users.errors import Conflict, TooManyRequests
from users.openapi import PUBLIC
from users.pagination import UserId
from users.profiles.models import User
from users.security import ApiRequest, admin_only, limit_login


class AdminController(Controller):
    path = "/admins"
    tags = ("admins",)

    @post("/", status_code=200, guards=[admin_only], raises=[Conflict])
    async def create(self, data: JSONBody[AdminCreate], request: ApiRequest) -> Admin:
        return await service.create_admin(
            request.services,
            data.username,
            data.email,
            data.password,
            by_admin=request.caller.id,
        )

    @get("/", guards=[admin_only])
    async def list_admins(self, request: ApiRequest) -> list[Admin]:
        return await service.list_admins(request.services)

    @post("/login", status_code=200, opt=PUBLIC, raises=[NotAuthorizedException, TooManyRequests])
    async def login(
        self,
        request: ApiRequest,
        data: JSONBody[PasswordLogin],
    ) -> LoginReply:
        await limit_login(request, request.services, data.email)
        token, admin_id = await accounts.admin_login(request.services, data.email, data.password)
        return LoginReply(token=token, id=admin_id)


class ModerationController(Controller):
    path = "/users/status"
    tags = ("admins",)

    # The guard is the handler's, not the controller's: Litestar would also put a controller's
    # guards on the path's automatic OPTIONS answer.
    @patch("/{user_id:int}", guards=[admin_only])
    async def toggle_block(self, user_id: UserId, request: ApiRequest) -> User:
        """Admins only: blocks an unblocked user, unblocks a blocked one; answers the user."""
        return await service.toggle_block(request.services, user_id, request.caller.id)
