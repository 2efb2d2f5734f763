"""GET /users/{id}/export (the user themself)."""

from litestar import Controller, get
from litestar.exceptions import NotFoundException

from users.exports import service
from users.exports.models import Export
from users.pagination import UserId
from users.security import ApiRequest


class ExportController(Controller):
    path = "/users"
    tags = ("exports",)

    @get("/{user_id:int}/export", raises=[NotFoundException])
    async def export(self, user_id: UserId, request: ApiRequest) -> Export:
        """One JSON document with everything FiuFit holds about the caller: profile, position,
        follows, warnings, trainings, favourites, ratings, goals with their progress, and the
        wallet with its movements. Bounded: lists are capped (`truncated`) and media is named
        by reference."""
        request.caller.require_self(user_id)
        return await service.export(request.services, user_id)
