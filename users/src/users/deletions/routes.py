"""GET /admins/deletions/{id} (admins); DELETE /users/{id} is with the profile routes."""

from litestar import Controller, get
from litestar.exceptions import NotFoundException

from users.deletions import service
from users.deletions.models import Deletion
from users.pagination import UserId
from users.security import ApiRequest, admin_only


class DeletionStatusController(Controller):
    path = "/admins/deletions"
    tags = ("admins",)

    @get("/{user_id:int}", guards=[admin_only], raises=[NotFoundException])
    async def deletion(self, user_id: UserId, request: ApiRequest) -> Deletion:
        """How far a deletion has got: the steps still pending, the attempts, the last error."""
        return await service.status(request.services, user_id)
