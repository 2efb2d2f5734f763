from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody, QueryParameter

from goals.goals import service
from goals.goals.models import Goal, GoalCreate, GoalUpdate
from goals.goals.service import MAX_LIST
from goals.params import GoalId, UserId
from goals.security import ApiRequest
from goals.services import Services
from goals.tokens import Caller


async def _require_owner(services: Services, caller: Caller, goal_id: int, detail: str) -> None:
    """404 when there is no such goal, 403 unless the caller is the user it belongs to."""
    if not caller.is_user(await service.owner_of(services, goal_id)):
        raise PermissionDeniedException(detail)  # an admin may read goals, never change them


class GoalController(Controller):
    path = "/goals"
    tags = ("goals",)

    @get(
        "/{user_id:int}",
        summary="A user's goals, completed ones first (the user, or an admin)",
        description=(
            f"A plain array of at most {MAX_LIST} goals (`limit`, default and maximum"
            f" {MAX_LIST}), from `offset`. Images are inlined within a per-response budget"
            " (GOALS_LIST_IMAGE_BUDGET_BYTES, GOALS_LIST_MAX_IMAGES); a goal left out of it"
            " has `image: null` and `image_omitted: true`, and `?offset=<its index>&limit=1`"
            " carries its image."
        ),
    )
    async def list_goals(
        self,
        user_id: UserId,
        request: ApiRequest,
        offset: Annotated[int, QueryParameter(ge=0, le=2**31 - 1, description="Goals to skip")] = 0,
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_LIST, description=f"At most {MAX_LIST}")
        ] = MAX_LIST,
    ) -> list[Goal]:
        request.caller.require_self_or_admin(user_id)
        return await service.list_goals(request.services, user_id, offset, limit)

    @post("/{user_id:int}", status_code=201, summary="Set a goal (only as yourself)")
    async def create_goal(
        self,
        user_id: UserId,
        data: JSONBody[GoalCreate],
        request: ApiRequest,
    ) -> Goal:
        request.caller.require_self(user_id)
        return await service.create(request.services, user_id, data)

    @patch("/{goal_id:int}", summary="Edit a goal or record progress (its owner)")
    async def update_goal(
        self,
        goal_id: GoalId,
        data: JSONBody[GoalUpdate],
        request: ApiRequest,
    ) -> Goal:
        await _require_owner(
            request.services, request.caller, goal_id, "Only the goal's owner may change it"
        )
        return await service.update(request.services, request.caller.id, goal_id, data)

    @delete("/{goal_id:int}", status_code=204, summary="Delete a goal (its owner)")
    async def delete_goal(
        self,
        goal_id: GoalId,
        request: ApiRequest,
    ) -> None:
        await _require_owner(
            request.services, request.caller, goal_id, "Only the goal's owner may delete it"
        )
        await service.delete(request.services, request.caller.id, goal_id)
