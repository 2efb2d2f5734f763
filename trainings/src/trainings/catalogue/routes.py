"""Reference data the clients fill their pickers with (no token needed)."""

from litestar import Controller, get
from litestar.di import NamedDependency

from trainings.catalogue.models import Exercise, Exercises, Names
from trainings.catalogue.service import Catalogue


class CatalogueController(Controller):
    path = "/trainings"
    tags = ("catalogue",)

    @get("/types/")
    async def types(self, catalogue: NamedDependency[Catalogue]) -> Names:
        return Names(items=list(catalogue.types))

    @get("/difficulties/")
    async def difficulties(self, catalogue: NamedDependency[Catalogue]) -> Names:
        return Names(items=list(catalogue.difficulties))

    @get("/exercises/")
    async def exercises(self, catalogue: NamedDependency[Catalogue]) -> Exercises:
        return Exercises(
            items=[Exercise(name=e.name, type=e.type, unit=e.unit) for e in catalogue.exercises]
        )
