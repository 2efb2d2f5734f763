"""Reference data the clients fill their pickers with (no token needed)."""

from litestar import Controller, get

from trainings.catalogue import service
from trainings.catalogue.models import Exercises, Names
from trainings.openapi import PUBLIC
from trainings.security import ApiRequest


class CatalogueController(Controller):
    path = "/trainings"
    tags = ("catalogue",)

    @get("/types/", opt=PUBLIC)
    async def types(self, request: ApiRequest) -> Names:
        return service.type_names(request.services.catalogue)

    @get("/difficulties/", opt=PUBLIC)
    async def difficulties(self, request: ApiRequest) -> Names:
        return service.difficulty_names(request.services.catalogue)

    @get("/exercises/", opt=PUBLIC)
    async def exercises(self, request: ApiRequest) -> Exercises:
        return service.exercise_list(request.services.catalogue)
