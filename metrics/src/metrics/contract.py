"""What metrics' OpenAPI document says beyond what Litestar generates and the glue
`openapi.document` adds. `complete(app)` runs once, in the app factory, after openapi.document.

- `from=` and `to=` with an empty value mean "no bound" and are accepted; Litestar declares every
  parameter `allowEmptyValue: false`, which for these two is untrue."""

from litestar import Litestar
from litestar.openapi.spec import Parameter

EMPTY_IS_NO_BOUND = {"from", "to"}


def complete(app: Litestar) -> None:
    paths = app.openapi_schema.paths or {}
    for item in paths.values():
        operation = item.get
        for parameter in (operation.parameters or []) if operation else []:
            if isinstance(parameter, Parameter) and parameter.name in EMPTY_IS_NO_BOUND:
                parameter.allow_empty_value = True
