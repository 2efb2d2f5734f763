"""/trainings: search (public), read (public), create (trainers), edit (owner or admin)."""

from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody, PathParameter, QueryParameter

from trainings import inputs
from trainings.openapi import PUBLIC
from trainings.security import ApiRequest
from trainings.trainings import service
from trainings.trainings.models import Training, TrainingCreate, TrainingPage, TrainingUpdate
from trainings.trainings.service import MAX_LIMIT

BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
# Ids are Postgres bigints; anything outside is a 400, not a database error. The bounds are
# written as integers too (Litestar writes them as floats, and 2**63 - 1 is no float).
Id = Annotated[int, PathParameter(ge=1, le=BIGINT_MAX, schema_extra={"maximum": BIGINT_MAX})]
Offset = Annotated[
    int,
    QueryParameter(
        ge=0,
        le=INT_MAX,
        schema_extra={"minimum": 0, "maximum": INT_MAX},
        description="Rows to skip",
    ),
]
Limit = Annotated[
    int,
    QueryParameter(
        ge=1,
        schema_extra={"minimum": 1},
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

    @get("/", opt=PUBLIC)
    async def search(
        self,
        request: ApiRequest,
        title: Annotated[
            str | None,
            QueryParameter(
                max_length=100, pattern=inputs.NO_NUL, description="Title prefix, any case; no NUL"
            ),
        ] = None,
        training_type: Annotated[
            str | None,
            QueryParameter(
                max_length=60, description="A training type's name (`GET /trainings/types/`)"
            ),
        ] = None,
        difficulty: Annotated[
            str | None,
            QueryParameter(
                max_length=60, description="A difficulty's name (`GET /trainings/difficulties/`)"
            ),
        ] = None,
        trainer_id: Annotated[
            str | None,
            QueryParameter(
                max_length=40,
                description="The trainer's user id; anything that cannot be one matches nothing",
            ),
        ] = None,
        blocked: Annotated[
            bool | None, QueryParameter(description="false hides blocked trainings")
        ] = None,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> TrainingPage:
        return await service.search(
            request.services,
            title=title,
            training_type=training_type,
            difficulty=difficulty,
            trainer_id=trainer_id,
            blocked=blocked,
            offset=offset,
            limit=limit,
        )

    @post(
        "/",
        status_code=201,
        response_headers=[
            ResponseHeader(
                name="Location",
                description="The new training's path (`GET /trainings/{training_id}`)",
                documentation_only=True,
            )
        ],
    )
    async def create(
        self,
        request: ApiRequest,
        data: JSONBody[TrainingCreate],
    ) -> Response[Training]:
        if not request.caller.is_trainer:
            raise PermissionDeniedException("Only trainers create trainings")
        training = await service.create(request.services, request.caller.id, data)
        return Response(
            training, status_code=201, headers={"Location": f"/trainings/{training.id}"}
        )

    @get("/{training_id:int}", opt=PUBLIC)
    async def read(self, request: ApiRequest, training_id: Id) -> Training:
        return await service.get(request.services, training_id)

    @patch("/{training_id:int}")
    async def edit(
        self,
        request: ApiRequest,
        training_id: Id,
        data: JSONBody[TrainingUpdate],
    ) -> Training:
        # Each role has its part of the body; the other fields are ignored (but, as the document
        # says, they name the catalogue's types, difficulties and exercises whoever sends them).
        owner = await service.trainer_of(request.services, training_id)
        if request.caller.is_admin:
            service.check_names(request.services.catalogue, data.content())
            return await service.moderate(
                request.services, request.caller.id, training_id, data.moderation()
            )
        if request.caller.is_trainer and request.caller.is_user(owner):
            return await service.update(
                request.services, request.caller.id, training_id, data.content()
            )
        raise PermissionDeniedException("Only the training's trainer or an admin may edit it")
