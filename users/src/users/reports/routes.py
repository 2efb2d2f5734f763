"""POST /users/{id}/reports, POST /trainings/{id}/reports and GET /users/{id}/warnings (users);
GET /admins/reports and PATCH /admins/reports/{id} (admins)."""

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter, QueryParameter

from users.errors import Conflict, TooManyRequests
from users.pagination import ID_MAX, Limit, Offset, UserId, clamp
from users.reports import service
from users.reports.models import (
    IssuedWarning,
    Reason,
    Report,
    ReportCreate,
    ReportPage,
    Resolution,
    Resolved,
    Status,
    TargetType,
)
from users.security import ApiRequest, admin_only, client_address

ReportId = Annotated[
    int, PathParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX})
]
StatusFilter = Annotated[Status, QueryParameter(description="open (the queue) or resolved")]
ReasonFilter = Annotated[Reason | None, QueryParameter(description="one reason")]
TargetTypeFilter = Annotated[
    TargetType | None, QueryParameter(description="the target's kind: user or training")
]
TrainingId = Annotated[
    int, PathParameter(ge=1, le=ID_MAX, schema_extra={"minimum": 1, "maximum": ID_MAX})
]


class ReportController(Controller):
    path = "/users"
    tags = ("reports",)

    @post(
        "/{user_id:int}/reports",
        status_code=201,
        raises=[NotFoundException, Conflict, TooManyRequests],
    )
    async def report(
        self, user_id: UserId, data: JSONBody[ReportCreate], request: ApiRequest
    ) -> Report:
        """Any user reports another (not themself) for one of the fixed reasons; one open report
        per reporter and target, and a rate limit per client and per reporter."""
        client = client_address(request, request.services.settings.trust_forwarded_for)
        return await service.report(
            request.services, request.caller, TargetType.USER, user_id, data, client
        )

    @get("/{user_id:int}/warnings", raises=[NotFoundException])
    async def warnings(self, user_id: UserId, request: ApiRequest) -> list[IssuedWarning]:
        """The user's warnings, newest first (the user or an admin)."""
        request.caller.require_self_or_admin(user_id)
        return await service.warnings(request.services, user_id)


class TrainingReportController(Controller):
    # The ingress routes /trainings/{id}/reports here: the moderation queue is one, in users.
    path = "/trainings"
    tags = ("reports",)

    @post(
        "/{training_id:int}/reports",
        status_code=201,
        raises=[NotFoundException, Conflict, TooManyRequests],
    )
    async def report(
        self, training_id: TrainingId, data: JSONBody[ReportCreate], request: ApiRequest
    ) -> Report:
        """Any user reports a training (not their own) for one of the fixed reasons; one open
        report per reporter and training, and the same rate limit as reports on users."""
        client = client_address(request, request.services.settings.trust_forwarded_for)
        return await service.report(
            request.services, request.caller, TargetType.TRAINING, training_id, data, client
        )


class ModerationQueueController(Controller):
    path = "/admins/reports"
    tags = ("admins",)

    @get("/", guards=[admin_only])
    async def queue(
        self,
        request: ApiRequest,
        status: StatusFilter = Status.OPEN,
        target_type: TargetTypeFilter = None,
        reason: ReasonFilter = None,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> ReportPage:
        """Oldest first, each with its target's current state and how many open reports it
        has (a training's as trainings has it now)."""
        return await service.queue(
            request.services, status, target_type, reason, offset, clamp(limit)
        )

    @patch("/{report_id:int}", guards=[admin_only], raises=[NotFoundException, Conflict])
    async def resolve(
        self, report_id: ReportId, data: JSONBody[Resolution], request: ApiRequest
    ) -> Resolved:
        """`dismiss`, `warn` (the user sees it at GET /users/{id}/warnings), `suspend` with
        `days` (a block that lifts by itself), `block` (as the block toggle blocks) and, for a
        training, `block_training`; on a training, warn, suspend and block reach its trainer.
        Every open report on the same target closes with it."""
        return await service.resolve(request.services, report_id, data, request.caller.id)
