"""Declared glue, identical in every service (ARCHITECTURE.md, "Declared glue"): the parts of
the OpenAPI contract that are the same everywhere, applied once to the generated document.

- One error body, `Error` (`{"detail": str, "errors"?: [...]}`, what errors.exception_handlers
  answers), for every 4xx and 5xx response, replacing Litestar's default
  `{status_code, detail, extra}`, which no response of ours has.
- The statuses every operation of a kind can answer, so none is undocumented: 400 for an
  operation with input, 413 for one with a body, 401 and 403 for one that needs a credential,
  404 for one with a path parameter, 503 for all (a dependency down). An operation declares
  its own further statuses on the route (`raises=[Conflict]`, or `responses=` where the body is
  not `Error`: a response declared so is kept as it is).
- The security scheme, the default requirement, and `security: []` on public operations
  (routes with `opt=PUBLIC`).

Call `openapi.document(app, ...)` once, in the app factory, after `Litestar(...)`.
"""

from collections.abc import Mapping
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

# Put on a route handler (`@get(..., opt=PUBLIC)`) that needs no credential.
PUBLIC: dict[str, Any] = {"public": True}

BEARER = {"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
SERVICE_TOKEN = {
    "ServiceToken": SecurityScheme(
        type="apiKey",
        name="X-Service-Token",
        security_scheme_in="header",
        description="The credential FiuFit services present to each other",
    )
}

ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["detail"],
    properties={
        "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, for people"),
        "errors": Schema(
            type=[OpenAPIType.ARRAY, OpenAPIType.OBJECT],
            items=Schema(type=OpenAPIType.OBJECT, additional_properties=True),
            additional_properties=True,
            description="On validation failures: one entry per problem (message, key, source)",
        ),
    },
    description="Every error response: `detail`, plus `errors` on validation failures",
)

ERROR_REF = Reference("#/components/schemas/Error")

_DESCRIPTIONS = {
    400: "Bad request: the input failed validation",
    401: "Missing, invalid or expired credential",
    403: "The credential does not allow this",
    404: "No such resource",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request body or image too large",
    429: "Too many requests: try again later (Retry-After)",
    500: "Internal server error",
    502: "Another service answered badly",
    503: "A dependency is unavailable: try again later",
}


def _error_response(status: int, description: str | None = None) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description or _DESCRIPTIONS.get(status, "Error"),
        content={"application/json": OpenAPIMediaType(schema=ERROR_REF)},
    )


def _litestar_default(schema: object) -> bool:
    """Litestar's own error schema (`{status_code, detail, extra}`), alone or in a oneOf."""
    if isinstance(schema, Schema) and schema.one_of:
        return all(_litestar_default(member) for member in schema.one_of)
    return isinstance(schema, Schema) and "status_code" in (schema.properties or {})


def _declared_by_route(response: object) -> bool:
    """A response the route declared itself (`responses=`), with a body other than Litestar's
    default: kept as it is (readiness' 503 carries the readiness body)."""
    if not isinstance(response, OpenAPIResponse) or not response.content:
        return False
    return not all(_litestar_default(media.schema) for media in response.content.values())


def _public_operations(app: Litestar) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) of every handler marked PUBLIC."""
    public: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("public"):
                public.update((route.path_format, m.lower()) for m in handler.http_methods)
    return public


def document(
    app: Litestar,
    schemes: Mapping[str, SecurityScheme],
    extra: Mapping[str, Mapping[str, Mapping[int, str]]] | None = None,
) -> None:
    """Completes `app`'s OpenAPI document in place (Litestar caches it and serves that object).

    `schemes` are the security schemes; every operation requires one of them unless PUBLIC.
    `extra` adds statuses to single operations: {path: {method: {status: description}}}, for
    statuses that come from code a route cannot declare (a middleware, a guard)."""
    doc = app.openapi_schema
    components = doc.components if isinstance(doc.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), "Error": ERROR}
    components.security_schemes = {**(components.security_schemes or {}), **schemes}
    doc.components = components
    requirement: list[SecurityRequirement] = [{name: []} for name in schemes]
    doc.security = requirement
    public = _public_operations(app)
    for path, item in (doc.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses or {}
            statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            parameters = [p for p in operation.parameters or [] if not isinstance(p, Reference)]
            if parameters or operation.request_body is not None:
                statuses.add(400)
            if operation.request_body is not None:
                statuses.add(413)
            if any(p.param_in == "path" for p in parameters):
                statuses.add(404)
            if (path, method) in public:
                operation.security = []
            else:
                operation.security = requirement
                statuses.update((401, 403))
            statuses.add(503)
            added = dict((extra or {}).get(path, {}).get(method, {}))
            for status in sorted(statuses | set(added)):
                known = responses.get(str(status))
                if _declared_by_route(known):
                    continue
                description = added.get(status) or (
                    known.description if isinstance(known, OpenAPIResponse) else None
                )
                responses[str(status)] = _error_response(status, description)
            operation.responses = responses
