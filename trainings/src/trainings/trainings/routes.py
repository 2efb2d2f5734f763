"""/trainings: search (public), read (public), create (trainers), edit (owner or admin)."""

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody, PathParameter, QueryParameter

from trainings.services import Services
from trainings.tokens import Caller
from trainings.trainings import service
from trainings.trainings.models import Training, TrainingCreate, TrainingPage, TrainingUpdate
from trainings.trainings.service import MAX_LIMIT

# Ids are Postgres bigints; anything outside is a 400, not a database error.
Id = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
Offset = Annotated[int, QueryParameter(ge=0, le=2**31 - 1, description="Rows to skip")]
Limit = Annotated[
    int,
    QueryParameter(
        ge=1,
        description=(
            f"Page size; values above {MAX_LIMIT} (or TRAININGS_MAX_PAGE_SIZE) are capped to it."
            " Media is inlined within a per-response budget (TRAININGS_RESPONSE_MEDIA_BYTES,"
            " TRAININGS_RESPONSE_MEDIA_ITEMS); a training left out of it has `media: null`,"
            " `media_omitted: true`, and GET /trainings/{id} carries its media."
        ),
    ),
]


class TrainingController(Controller):
    path = "/trainings"
    tags = ("trainings",)

    @get("/")
    async def search(
        self,
        services: NamedDependency[Services],
        title: Annotated[
            str | None, QueryParameter(max_length=100, description="Title prefix, any case")
        ] = None,
        training_type: Annotated[
            str | None, QueryParameter(max_length=60, description="Training type name")
        ] = None,
        difficulty: Annotated[str | None, QueryParameter(max_length=60)] = None,
        trainer_id: Annotated[str | None, QueryParameter(max_length=40)] = None,
        blocked: Annotated[
            bool | None, QueryParameter(description="false hides blocked trainings")
        ] = None,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> TrainingPage:
        return await service.search(
            services,
            title=title,
            training_type=training_type,
            difficulty=difficulty,
            trainer_id=trainer_id,
            blocked=blocked,
            offset=offset,
            limit=limit,
        )

    @post("/", status_code=201)
    async def create(
        self,
        services: NamedDependency[Services],
        caller: NamedDependency[Caller],
        data: JSONBody[TrainingCreate],
    ) -> Training:
        if not caller.is_trainer:
            raise PermissionDeniedException("Only trainers create trainings")
        return await service.create(services, caller.id, data)

    @get("/{training_id:int}")
    async def read(self, services: NamedDependency[Services], training_id: Id) -> Training:
        return await service.get(services, training_id)

    @patch("/{training_id:int}")
    async def edit(
        self,
        services: NamedDependency[Services],
        caller: NamedDependency[Caller],
        training_id: Id,
        data: JSONBody[TrainingUpdate],
    ) -> Training:
        # Each role has its part of the body; the other fields are ignored.
        owner = await service.trainer_of(services, training_id)
        if caller.is_admin:
            return await service.moderate(services, training_id, data.moderation())
        if caller.is_trainer and caller.is_user(owner):
            return await service.update(services, training_id, data.content())
        raise PermissionDeniedException("Only the training's trainer or an admin may edit it")
