"""The OpenAPI document, as true as the code: the declared glue (`openapi.document`: the Error
body, the statuses, the Bearer scheme and the public operations), then what is this service's
own.

- `complete(app)`, in the app factory after `openapi.document(app, SCHEMES)`: the type of the
  `Location` of a new training, the request bodies' tolerance (unknown fields ignored), and the
  internal operations' credential (`opt=SERVICE`: the service token, not a Bearer token, and
  no 403, which only a user's token can earn).
  (Readiness declares its report for 200 and 503 on its route, in health.py.)
- `describe_catalogue(app, catalogue)`, in the lifespan once the catalogue is loaded: the
  names the code accepts (types, difficulties, each exercise's name with its units), so a
  request the document allows is one the catalogue knows.
"""

from collections import defaultdict

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityRequirement,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.routes import HTTPRoute

from trainings import inputs, openapi
from trainings.catalogue.service import Catalogue

# Every public caller presents a user's (or an admin's) JWT; the internal operations
# (`opt=SERVICE`) take the service credential instead, set on them by `complete`.
SCHEMES = openapi.BEARER
SERVICE_REQUIREMENT: list[SecurityRequirement] = [{name: []} for name in openapi.SERVICE_TOKEN]

# Bodies read tolerantly: the 2023 clients echo whole objects back.
BODIES = ("TrainingCreate", "TrainingUpdate", "TrainingExerciseCreate", "FavouriteCreate",
          "RatingUpdate", "TrainingBlockUpdate")  # fmt: skip
IGNORED = "Unknown fields are ignored (the clients echo whole objects back)."


def _components(app: Litestar) -> dict[str, Schema]:
    components = app.openapi_schema.components
    assert isinstance(components, Components) and components.schemas is not None
    return components.schemas


def _schema(app: Litestar, name: str) -> Schema:
    schema = _components(app)[name]
    assert isinstance(schema, Schema), name
    return schema


def operation(app: Litestar, path: str, method: str) -> Operation:
    item = (app.openapi_schema.paths or {})[path]
    found = getattr(item, method)
    assert isinstance(found, Operation), (path, method)
    return found


def _service_operations(app: Litestar) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) of every handler marked SERVICE."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.opt.get("service"):
                    found.update((route.path_format, m.lower()) for m in handler.http_methods)
    return found


def _take_service_token(app: Litestar) -> None:
    components = app.openapi_schema.components
    assert isinstance(components, Components)
    components.security_schemes = {
        **(components.security_schemes or {}),
        **openapi.SERVICE_TOKEN,
    }
    for path, method in _service_operations(app):
        internal = operation(app, path, method)
        internal.security = list(SERVICE_REQUIREMENT)
        (internal.responses or {}).pop("403", None)


def complete(app: Litestar) -> None:
    """Completes `app`'s OpenAPI document after `openapi.document` (Litestar caches it and
    serves that object)."""
    created = (operation(app, "/trainings", "post").responses or {})["201"]
    assert isinstance(created, OpenAPIResponse) and created.headers is not None
    location = created.headers["Location"]
    assert isinstance(location, OpenAPIHeader)
    location.schema = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI_REFERENCE)
    for name in BODIES:
        body = _schema(app, name)
        body.additional_properties = True
        body.description = IGNORED
    _take_service_token(app)


def _names(names: list[str]) -> Schema:
    return Schema(type=OpenAPIType.STRING, pattern=inputs.names_pattern(names))


def _or_null(schema: Schema) -> Schema:
    return Schema(one_of=[schema, Schema(type=OpenAPIType.NULL)])


def _exercise_variants(catalogue: Catalogue) -> list[Schema | Reference]:
    """One variant per set of units: the exercise names with exactly those units, and the unit
    they take (none: null, missing or blank)."""
    units: dict[str, set[str | None]] = defaultdict(set)
    for exercise in catalogue.exercises:
        units[exercise.name].add(exercise.unit)
    groups: dict[frozenset[str | None], list[str]] = defaultdict(list)
    for name, found in units.items():
        groups[frozenset(found)].append(name)
    variants: list[Schema | Reference] = []
    for its_units, names in sorted(groups.items(), key=lambda group: sorted(group[1])):
        choices: list[Schema | Reference] = []
        if None in its_units:
            choices += [
                Schema(type=OpenAPIType.NULL),
                Schema(type=OpenAPIType.STRING, pattern=inputs.BLANK_PATTERN),
            ]
        if named := sorted(unit for unit in its_units if unit is not None):
            choices.append(_names(named))
        described = ", ".join(sorted(names))
        variants.append(
            Schema(
                description=(
                    f"{described}: "
                    + (f"unit one of {', '.join(named)}" if named else "no unit")
                    + (" or none" if named and None in its_units else "")
                ),
                properties={
                    "name": _names(names),
                    "unit": choices[0] if len(choices) == 1 else Schema(one_of=choices),
                },
                required=["name"] if None in its_units else ["name", "unit"],
            )
        )
    return variants


def _query(operation: Operation, name: str) -> Parameter:
    found = next(
        p for p in operation.parameters or [] if isinstance(p, Parameter) and p.name == name
    )
    return found


def describe_catalogue(app: Litestar, catalogue: Catalogue) -> None:
    """The catalogue's names where the code looks them up (idempotent: each start sets them)."""
    types, difficulties = list(catalogue.types), list(catalogue.difficulties)
    search = operation(app, "/trainings", "get")
    for parameter, names in (("training_type", types), ("difficulty", difficulties)):
        _query(search, parameter).schema = Schema(
            type=OpenAPIType.STRING,
            enum=["", *names],
            description="One of the catalogue's names; empty: no filter",
        )
    create, update = _schema(app, "TrainingCreate"), _schema(app, "TrainingUpdate")
    for field, names in (("type", types), ("difficulty", difficulties)):
        assert create.properties is not None and update.properties is not None
        create.properties[field] = _names(names)
        update.properties[field] = _or_null(_names(names))
    exercise = _schema(app, "TrainingExerciseCreate")
    exercise.any_of = _exercise_variants(catalogue)
