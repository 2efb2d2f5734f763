"""Training types, difficulties and exercises, held in memory (the migration owns them): the
`Catalogue` is loaded once at start-up into the services bag, and the routes' answers are read
from it."""

from dataclasses import dataclass

from litestar.exceptions import ClientException

from trainings.catalogue import repository
from trainings.catalogue.models import Exercise, Exercises, Names
from trainings.db import Connection


@dataclass(frozen=True)
class CatalogueExercise:
    id: int
    name: str
    type: str
    unit: str | None


class Catalogue:
    """The catalogue tables as a read-only value: names to ids and back."""

    def __init__(
        self,
        types: dict[str, int],
        difficulties: dict[str, int],
        exercises: list[CatalogueExercise],
    ) -> None:
        self.types = types  # name → id, in catalogue order
        self.difficulties = difficulties
        self.exercises = tuple(exercises)
        self._type_names = {v: k for k, v in types.items()}
        self._difficulty_names = {v: k for k, v in difficulties.items()}
        self._exercises_by_id = {e.id: e for e in exercises}
        self._exercises_by_key = {(e.name, e.unit): e.id for e in exercises}

    def type_id(self, name: str) -> int:
        return _lookup(self.types, name, "training type")

    def difficulty_id(self, name: str) -> int:
        return _lookup(self.difficulties, name, "difficulty")

    def type_name(self, type_id: int) -> str:
        return self._type_names[type_id]

    def difficulty_name(self, difficulty_id: int) -> str:
        return self._difficulty_names[difficulty_id]

    def exercise(self, exercise_id: int) -> CatalogueExercise:
        return self._exercises_by_id[exercise_id]

    def exercise_ids(self, wanted: list[tuple[str, str | None]]) -> list[int]:
        """Ids of exercises named by (name, unit); a 400 naming every unknown one."""
        unknown = [_describe(key) for key in wanted if key not in self._exercises_by_key]
        if unknown:
            raise ClientException(f"Unknown exercises: {', '.join(unknown)}")
        return [self._exercises_by_key[key] for key in wanted]


def _lookup(names: dict[str, int], name: str, what: str) -> int:
    found = names.get(name)
    if found is None:
        raise ClientException(f"Unknown {what} {name!r}; known: {', '.join(names)}")
    return found


def _describe(key: tuple[str, str | None]) -> str:
    name, unit = key
    return f"{name!r} (unit {unit!r})" if unit else f"{name!r} (no unit)"


def type_names(catalogue: Catalogue) -> Names:
    return Names(items=list(catalogue.types))


def difficulty_names(catalogue: Catalogue) -> Names:
    return Names(items=list(catalogue.difficulties))


def exercise_list(catalogue: Catalogue) -> Exercises:
    return Exercises(
        items=[Exercise(name=e.name, type=e.type, unit=e.unit) for e in catalogue.exercises]
    )


async def load_catalogue(conn: Connection) -> Catalogue:
    types = {row["name"]: row["id"] for row in await repository.fetch_types(conn)}
    type_names = {v: k for k, v in types.items()}
    difficulties = {row["name"]: row["id"] for row in await repository.fetch_difficulties(conn)}
    exercises = [
        CatalogueExercise(row["id"], row["name"], type_names[row["type_id"]], row["unit"])
        for row in await repository.fetch_exercises(conn)
    ]
    return Catalogue(types, difficulties, exercises)
