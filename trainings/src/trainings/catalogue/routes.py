"""Reference data the clients fill their pickers with (no token needed)."""

from litestar import Controller, get
from litestar.di import NamedDependency

from trainings.catalogue import service
from trainings.catalogue.models import Exercises, Names
from trainings.openapi import PUBLIC
from trainings.services import Services


class CatalogueController(Controller):
    path = "/trainings"
    tags = ("catalogue",)

    @get("/types/", opt=PUBLIC)
    async def types(self, services: NamedDependency[Services]) -> Names:
        return service.type_names(services.catalogue)

    @get("/difficulties/", opt=PUBLIC)
    async def difficulties(self, services: NamedDependency[Services]) -> Names:
        return service.difficulty_names(services.catalogue)

    @get("/exercises/", opt=PUBLIC)
    async def exercises(self, services: NamedDependency[Services]) -> Exercises:
        return service.exercise_list(services.catalogue)
