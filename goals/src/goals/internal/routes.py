"""The routes other FiuFit services call: /internal/…, which the public ingress never routes,
with the service credential (X-Service-Token) instead of a user's token."""

from litestar import Controller, delete, get

from goals.internal import service
from goals.internal.models import Deletion, Export
from goals.internal.service import MAX_GOALS, MAX_PROGRESS
from goals.params import ExactUserId
from goals.security import SERVICE, ApiRequest, require_service_token


class InternalController(Controller):
    path = "/internal/users"
    tags = ("internal",)
    guards = (require_service_token,)
    opt = SERVICE

    @delete(
        "/{user_id:str}",
        status_code=200,
        summary="Erase a user's goals, their images and the user's progress log (users service)",
        description=(
            "Called when the account is deleted. Idempotent: what is already gone counts as"
            " zero, so a repeated call, or one for an unknown user, answers zeros. The images"
            " are deleted from storage first: while storage is unavailable the answer is 503"
            " and nothing has been deleted from the database, so the call can be retried."
        ),
    )
    async def delete_user(self, user_id: ExactUserId, request: ApiRequest) -> Deletion:
        return await service.delete_user(request.services, int(user_id))

    @get(
        "/{user_id:str}/export",
        summary="A user's goals with their progress history (users service)",
        description=(
            f"At most {MAX_GOALS} goals, in the order of the user's list (completed first), and"
            f" at most {MAX_PROGRESS} progress entries in all, each goal's oldest first;"
            " `truncated` is true when either bound left something out. Images are named"
            " (their object in authentication's storage), never inlined."
        ),
    )
    async def export_user(self, user_id: ExactUserId, request: ApiRequest) -> Export:
        return await service.export_user(request.services, int(user_id))
