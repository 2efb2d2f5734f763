"""GET /payment/audit: the admin actions payment carried out, newest first (service credential
required, as on every route; the users service shows them to admins)."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from payment.audit import service
from payment.audit.models import Action, AuditPage, TargetType
from payment.inputs import ID_MAX
from payment.security import ApiRequest, require_service_token

MAX_PAGE = 100
MAX_OFFSET = 10_000

# schema_extra: the bounds as the integers the code compares with (Litestar writes floats, and
# 2**63 - 1 as a float is 2**63, which the code refuses).
AnyId = Annotated[
    int | None,
    QueryParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX}),
]


class AuditController(Controller):
    path = "/payment/audit"
    tags = ("audit",)
    guards = (require_service_token,)

    @get("/")
    async def audit(
        self,
        request: ApiRequest,
        actor_id: AnyId = None,
        action: Annotated[Action | None, QueryParameter(description="One action")] = None,
        target_type: Annotated[
            TargetType | None, QueryParameter(description="The target's kind")
        ] = None,
        target_id: AnyId = None,
        offset: Annotated[
            int,
            QueryParameter(ge=0, le=MAX_OFFSET, schema_extra={"minimum": 0, "maximum": MAX_OFFSET}),
        ] = 0,
        limit: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_PAGE, schema_extra={"minimum": 1, "maximum": MAX_PAGE}),
        ] = 50,
    ) -> AuditPage:
        """Who did what to whom and when, with the values before and after, newest first;
        filtered by any of the actor, the action and the target (its type, its id, or both)."""
        return await service.page(
            request.services, actor_id, action, target_type, target_id, offset, limit
        )
