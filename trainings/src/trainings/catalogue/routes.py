"""Reference data the clients fill their pickers with (no token needed)."""

from litestar import Controller, get
from litestar.di import NamedDependency

from trainings.catalogue.models import Exercises, Names
from trainings.catalogue.service import Catalogue


class CatalogueController(Controller):
    path = "/trainings"
    tags = ("catalogue",)

    @get("/types/")
    async def types(self, catalogue: NamedDependency[Catalogue]) -> Names:
        return catalogue.type_names()

    @get("/difficulties/")
    async def difficulties(self, catalogue: NamedDependency[Catalogue]) -> Names:
        return catalogue.difficulty_names()

    @get("/exercises/")
    async def exercises(self, catalogue: NamedDependency[Catalogue]) -> Exercises:
        return catalogue.exercise_list()
