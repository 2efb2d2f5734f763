"""Reference data the clients fill their pickers with (no token needed)."""

from typing import Any

from litestar import Controller, Request, get
from pydantic import BaseModel

from trainings.catalogue.service import Catalogue


class Names(BaseModel):
    items: list[str]


class ExerciseOut(BaseModel):
    name: str
    type: str
    unit: str | None


class Exercises(BaseModel):
    items: list[ExerciseOut]


def _catalogue(request: Request[Any, Any, Any]) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


class CatalogueController(Controller):
    path = "/trainings"
    tags = ("catalogue",)

    @get("/types/")
    async def types(self, request: Request[Any, Any, Any]) -> Names:
        return Names(items=list(_catalogue(request).types))

    @get("/difficulties/")
    async def difficulties(self, request: Request[Any, Any, Any]) -> Names:
        return Names(items=list(_catalogue(request).difficulties))

    @get("/exercises/")
    async def exercises(self, request: Request[Any, Any, Any]) -> Exercises:
        return Exercises(
            items=[
                ExerciseOut(name=e.name, type=e.type, unit=e.unit)
                for e in _catalogue(request).exercises
            ]
        )
