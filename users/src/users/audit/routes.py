"""GET /admins/audit: the admin actions, newest first (admins only)."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from users.audit import service
from users.audit.models import Action, AuditPage, TargetType
from users.pagination import ID_MAX, Limit, Offset, clamp
from users.security import ApiRequest, admin_only

AnyId = Annotated[
    int | None,
    QueryParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX}),
]
ActionFilter = Annotated[Action | None, QueryParameter(description="one action")]
TargetTypeFilter = Annotated[TargetType | None, QueryParameter(description="the target's kind")]


class AuditController(Controller):
    path = "/admins/audit"
    tags = ("admins",)

    @get("/", guards=[admin_only])
    async def audit(
        self,
        request: ApiRequest,
        actor_id: AnyId = None,
        action: ActionFilter = None,
        target_type: TargetTypeFilter = None,
        target_id: AnyId = None,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> AuditPage:
        """Who did what to whom and when, with the values before and after; filtered by any of
        the actor, the action and the target (its type, its id, or both)."""
        return await service.page(
            request.services, actor_id, action, target_type, target_id, offset, clamp(limit)
        )
