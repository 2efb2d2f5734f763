"""/internal/…: what other FiuFit services call with the service credential (`X-Service-Token`,
checked by the guard before anything is read); the public ingress never routes these paths.
The users service orchestrates a user's deletion and export and owns the moderation queue."""

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.params import JSONBody, QueryParameter

from trainings import inputs
from trainings.audit.models import Action, AuditPage, TargetType
from trainings.internal import service
from trainings.internal.models import (
    BIGINT_MAX,
    MAX_IDS,
    TrainingBlockUpdate,
    TrainingSummary,
    UserDeletion,
    UserExport,
)
from trainings.security import SERVICE, ApiRequest, require_service_token
from trainings.trainings.routes import Id

_ID = inputs.digits_pattern(1, BIGINT_MAX)
# 1 to MAX_IDS ids, comma-separated: the pattern says it all (form and range), so anything else
# is a 400 before the handler runs.
IDS_PATTERN = rf"^{_ID}(?:,{_ID}){{0,{MAX_IDS - 1}}}$"
AUDIT_OFFSET = 10_000
AUDIT_LIMIT = 100

FilterId = Annotated[
    int | None,
    QueryParameter(ge=1, le=BIGINT_MAX, schema_extra={"minimum": 1, "maximum": BIGINT_MAX}),
]


class InternalController(Controller):
    path = "/internal"
    tags = ("internal",)
    guards = (require_service_token,)

    @get("/trainings", opt=SERVICE)
    async def trainings(
        self,
        request: ApiRequest,
        ids: Annotated[
            str,
            QueryParameter(
                pattern=IDS_PATTERN,
                description=(
                    f"1 to {MAX_IDS} training ids, comma-separated; unknown ones are left out"
                    " of the answer"
                ),
            ),
        ],
    ) -> list[TrainingSummary]:
        return await service.summaries(request.services, service.parse_ids(ids))

    @put("/trainings/{training_id:int}/blocked", opt=SERVICE)
    async def block(
        self, request: ApiRequest, training_id: Id, data: JSONBody[TrainingBlockUpdate]
    ) -> TrainingSummary:
        return await service.set_blocked(request.services, training_id, data)

    @get("/audit", opt=SERVICE)
    async def audit(
        self,
        request: ApiRequest,
        actor_id: FilterId = None,
        target_type: Annotated[TargetType | None, QueryParameter()] = None,
        target_id: FilterId = None,
        action: Annotated[Action | None, QueryParameter()] = None,
        offset: Annotated[
            int,
            QueryParameter(
                ge=0,
                le=AUDIT_OFFSET,
                schema_extra={"minimum": 0, "maximum": AUDIT_OFFSET},
                description="Entries to skip",
            ),
        ] = 0,
        limit: Annotated[
            int,
            QueryParameter(
                ge=1,
                le=AUDIT_LIMIT,
                schema_extra={"minimum": 1, "maximum": AUDIT_LIMIT},
                description="Page size",
            ),
        ] = 50,
    ) -> AuditPage:
        return await service.audit_page(
            request.services,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            offset=offset,
            limit=limit,
        )

    @delete("/users/{user_id:int}", status_code=200, opt=SERVICE)
    async def delete_user(self, request: ApiRequest, user_id: Id) -> UserDeletion:
        return await service.delete_user(request.services, user_id)

    @get("/users/{user_id:int}/export", opt=SERVICE)
    async def export_user(self, request: ApiRequest, user_id: Id) -> UserExport:
        return await service.export_user(request.services, user_id)
