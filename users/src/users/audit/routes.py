"""GET /admins/audit: the admin actions, newest first (admins only)."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from users.audit import service
from users.audit.models import Action, AuditPage, TargetType
from users.audit.service import MAX_MERGED
from users.pagination import ID_MAX, MAX_LIMIT, Limit, clamp
from users.security import ApiRequest, admin_only

AnyId = Annotated[
    int | None,
    QueryParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX}),
]
ActionFilter = Annotated[Action | None, QueryParameter(description="one action")]
TargetTypeFilter = Annotated[TargetType | None, QueryParameter(description="the target's kind")]
# A page merges the newest entries of up to three services' logs, read from their start: it
# may begin no deeper than this.
AuditOffset = Annotated[
    int,
    QueryParameter(ge=0, le=MAX_MERGED - MAX_LIMIT, description="entries to skip"),
]


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
        offset: AuditOffset = 0,
        limit: Limit = 10,
    ) -> AuditPage:
        """Who did what to whom and when, with the values before and after; filtered by any of
        the actor, the action and the target (its type, its id, or both)."""
        return await service.page(
            request.services, actor_id, action, target_type, target_id, offset, clamp(limit)
        )
