"""The OpenAPI document: the glue (openapi.py) declares what every service shares (the error
body, the statuses, the bearer scheme, the public operations); `complete` adds what is goals's
own, after it:

- `/goals/{user_id}` (GET, POST) and `/goals/{goal_id}` (PATCH, DELETE) are one path for HTTP,
  so they are one path item, `/goals/{id}`, whose parameter each operation describes (the
  server still names it `user_id` or `goal_id` in its error messages);
- links from a created goal to the operations that read, edit and delete it, so a client (or a
  stateful test) can follow one to the next;
- the fields the app echoes back in an edit, documented as ignored;
- the internal operations (`security.SERVICE`, /internal/…) require the service credential
  (`ServiceToken`), not a user's token, and never answer 403.
"""

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPI,
    OpenAPIResponse,
    Operation,
    Parameter,
    PathItem,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from goals import openapi

USER_PATH, GOAL_PATH = "/goals/{user_id}", "/goals/{goal_id}"
GOALS_PATH = "/goals/{id}"
PROGRESS_PATH = "/goals/{user_id}/metricsProgress/{metric}"

# Statuses a route cannot declare (openapi.document's `extra`), keyed as Litestar writes paths.
EXTRA: dict[str, dict[str, dict[int, str]]] = {
    USER_PATH: {
        "post": {
            400: (
                "A field is invalid, the metric is not in the catalogue (the detail names the"
                " valid ones), the deadline is before today, or storage refused the image"
            ),
            413: "The image is larger than GOALS_MAX_IMAGE_BYTES decoded, or the body too large",
            503: "Image storage, the token keys or the database are unavailable",
        },
    },
    GOAL_PATH: {"patch": {404: "No such goal"}, "delete": {404: "No such goal"}},
    PROGRESS_PATH: {"get": {404: "No such metric in the catalogue"}},
}

# The goal card fields a PATCH may carry and that are never applied (the app echoes the card).
IGNORED_IN_EDITS = (
    "id", "user_id", "metric", "unit", "image", "image_omitted", "completed", "completed_at",
    "expired", "created_at", "updated_at",
)  # fmt: skip

DESCRIPTION = """\
Personal goals, their progress log and the metric catalogue of FiuFit.

Every operation but the health checks and the internal ones needs `Authorization: Bearer
<FiuFit JWT>`: without a valid one the answer is 401, before anything else is looked at; a valid
one without the right is 403. The internal operations (`/internal/…`, called by the users
service, never routed by the public ingress) need the service credential in `X-Service-Token`
instead: without it, or with a wrong one, the answer is 401. Errors are `{"detail": "…"}`, plus
`errors` (one entry per problem) when the input failed validation.

Bodies are read as the 2023 mobile app sends them: unknown fields are ignored, quantities may be
numeric strings, blanks around text and dates are ignored. Input that cannot be stored (a NUL,
an unpaired surrogate, a number out of range) and JSON nested too deeply to read are 400s."""


def complete(app: Litestar) -> None:
    """Completes `app`'s OpenAPI document in place, after `openapi.document`."""
    doc = app.openapi_schema
    doc.info.description = DESCRIPTION
    _one_path_for_goals(doc)
    _links(doc)
    _ignored_fields(doc)
    _service_operations(app, doc)


def _operations(item: PathItem) -> dict[str, Operation]:
    methods = ("get", "put", "post", "delete", "patch")
    return {m: op for m in methods if isinstance(op := getattr(item, m, None), Operation)}


def _one_path_for_goals(doc: OpenAPI) -> None:
    paths = doc.paths or {}
    merged = PathItem()
    for path, name in ((USER_PATH, "user_id"), (GOAL_PATH, "goal_id")):
        item = paths.pop(path)
        for method, operation in _operations(item).items():
            for parameter in operation.parameters or []:
                if isinstance(parameter, Parameter) and parameter.name == name:
                    parameter.name = "id"
            setattr(merged, method, operation)
    doc.paths = {GOALS_PATH: merged, **paths}


def _operation_id(doc: OpenAPI, method: str, path: str = GOALS_PATH) -> str:
    operation = getattr((doc.paths or {})[path], method)
    assert isinstance(operation, Operation) and operation.operation_id
    return operation.operation_id


def _links(doc: OpenAPI) -> None:
    created = (doc.paths or {})[GOALS_PATH].post
    assert isinstance(created, Operation) and created.responses is not None
    response = created.responses["201"]
    assert isinstance(response, OpenAPIResponse)
    goal_id = {"id": "$response.body#/id"}
    response.links = {
        "ListGoals": Link(
            operation_id=_operation_id(doc, "get"),
            parameters={"id": "$response.body#/user_id"},
            description="The goals of the user the goal belongs to (it among them)",
        ),
        "EditGoal": Link(operation_id=_operation_id(doc, "patch"), parameters=goal_id),
        "DeleteGoal": Link(operation_id=_operation_id(doc, "delete"), parameters=goal_id),
        "MetricProgress": Link(
            operation_id=_operation_id(doc, "get", PROGRESS_PATH),
            parameters={"user_id": "$response.body#/user_id", "metric": "$response.body#/metric"},
            description="The progress on the goal's metric",
        ),
    }


def _ignored_fields(doc: OpenAPI) -> None:
    assert isinstance(doc.components, Components) and doc.components.schemas is not None
    update = doc.components.schemas["GoalUpdate"]
    assert isinstance(update, Schema) and update.properties is not None
    ignored: dict[str, Schema | Reference] = {
        name: Schema(description="Ignored (the app echoes the whole goal)")
        for name in IGNORED_IN_EDITS
    }
    update.properties = {**update.properties, **ignored}
    update.description = (
        "Every field is optional: absent or null leaves it unchanged. The app echoes the whole"
        " goal; the fields it may not change are ignored, and so is any other"
    )


def _service_operations(app: Litestar, doc: OpenAPI) -> None:
    """The operations of the routes marked SERVICE take the service credential only."""
    assert isinstance(doc.components, Components)
    doc.components.security_schemes = {
        **(doc.components.security_schemes or {}),
        **openapi.SERVICE_TOKEN,
    }
    requirement: list[dict[str, list[str]]] = [{name: []} for name in openapi.SERVICE_TOKEN]
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.opt.get("service"):
                continue
            item = (doc.paths or {})[route.path_format]
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if not isinstance(operation, Operation):
                    continue  # OPTIONS: Litestar's own handler, not in the document
                operation.security = requirement
                (operation.responses or {}).pop("403", None)  # no role, no ownership
