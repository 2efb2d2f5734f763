"""What users' OpenAPI document says beyond what Litestar derives from the routes and what the
declared glue (openapi.py) adds to every service: applied once, in the app factory, after
`openapi.document`.

- Request bodies are described by pydantic's own JSON Schema of their models (inputs.py pairs
  each tolerant type with its schema); Litestar's rendering drops tuple lengths, the bounds of
  optional fields and every `WithJsonSchema`.
- The two Google operations take the raw Google credential in `Authorization` (no `Bearer `):
  a security scheme of their own.
- `POST /users/login` takes credentials in its body, or (the 2023 re-login) only a Bearer token.
- `POST /users/login/usersIDP` answers an unknown Google account with the 404 the mobile app
  reads, `{"detail": {"message": "No IDP user with such an email"}}`.
- Password recovery reads any body: a JSON string or `{"username"}` names the account (the
  mobile app posts the bare typed username), anything else falls back to the path.
"""

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from pydantic import BaseModel

GOOGLE = {
    "GoogleCredential": SecurityScheme(
        type="apiKey",
        name="Authorization",
        security_scheme_in="header",
        description="The raw Google credential (an id_token or access token), without `Bearer `",
    )
}
GOOGLE_OPERATIONS = (("/users/usersIDP", "post"), ("/users/login/usersIDP", "post"))

NO_IDP_USER = Schema(
    type=OpenAPIType.OBJECT,
    required=["detail"],
    properties={
        "detail": Schema(
            type=OpenAPIType.OBJECT,
            required=["message"],
            properties={"message": Schema(type=OpenAPIType.STRING)},
        )
    },
)

RECOVERY_BODY = RequestBody(
    required=False,
    description='The typed username: a JSON string, `{"username": …}` or plain text; '
    "any other body is ignored and the path's username is used",
    content={
        "application/json": OpenAPIMediaType(schema=Schema()),
        "text/plain": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
    },
)


def _body_models(app: Litestar) -> dict[str, type[BaseModel]]:
    """The pydantic model of every route's `data`, by its component name."""
    models: dict[str, type[BaseModel]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            model = data.annotation if data is not None else None
            if isinstance(model, type) and issubclass(model, BaseModel):
                models[model.__name__] = model
    return models


def complete(app: Litestar) -> None:
    """Applies the above to `app`'s OpenAPI document (after openapi.document)."""
    doc = app.openapi_schema
    components = doc.components if isinstance(doc.components, Components) else Components()
    schemas: dict[str, Any] = dict(components.schemas or {})
    for name, model in _body_models(app).items():
        schemas[name] = model.model_json_schema(
            mode="validation", ref_template="#/components/schemas/{model}"
        )
    components.schemas = schemas
    components.security_schemes = {**(components.security_schemes or {}), **GOOGLE}
    paths = doc.paths or {}
    for path, method in GOOGLE_OPERATIONS:
        operation = getattr(paths[path], method)
        operation.security = [{name: []} for name in GOOGLE]
    login = paths["/users/login"].post
    assert login is not None
    login.security = [{}, *(doc.security or [])]
    google_login = paths["/users/login/usersIDP"].post
    assert google_login is not None and google_login.responses is not None
    google_login.responses["404"] = OpenAPIResponse(
        description="No user signed up with this Google account (the mobile app then opens "
        "its registration wizard)",
        content={"application/json": OpenAPIMediaType(schema=NO_IDP_USER)},
    )
    recovery = paths["/users/recovery/{username}"].post
    assert recovery is not None
    recovery.request_body = RECOVERY_BODY
