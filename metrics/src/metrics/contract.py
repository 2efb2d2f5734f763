"""What metrics' OpenAPI document says beyond what Litestar generates and the glue
`openapi.document` adds. `complete(app)` runs once, in the app factory, after openapi.document.

- Readiness answers 503 with its own body (`ready` false), not an error; openapi.document
  declares every 503 as the Error body, so the readiness body is put back for that status.
- `from=` and `to=` with an empty value mean "no bound" and are accepted; Litestar declares every
  parameter `allowEmptyValue: false`, which for these two is untrue."""

from litestar import Litestar
from litestar.openapi.spec import OpenAPIResponse, Parameter

READINESS = "/metrics/readiness"
EMPTY_IS_NO_BOUND = {"from", "to"}


def complete(app: Litestar) -> None:
    paths = app.openapi_schema.paths or {}
    readiness = paths[READINESS].get
    assert readiness is not None and readiness.responses is not None
    ready = readiness.responses["200"]
    assert isinstance(ready, OpenAPIResponse)
    readiness.responses["503"] = OpenAPIResponse(
        description="Not ready: MongoDB, the service's own store, is unavailable",
        content=ready.content,
    )
    for item in paths.values():
        operation = item.get
        for parameter in (operation.parameters or []) if operation else []:
            if isinstance(parameter, Parameter) and parameter.name in EMPTY_IS_NO_BOUND:
                parameter.allow_empty_value = True
