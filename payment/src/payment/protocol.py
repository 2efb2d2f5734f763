"""Two fixes to Litestar 2.25's HTTP answers that every app takes (declared glue).

- `JSONRequest`, the app's `request_class`: a JSON body nested deeper than the decoder follows
  (thousands of `[`: msgspec raises RecursionError) is the caller's 400, `TOO_DEEP`, where it
  would otherwise be a 500. A service may subclass it to refuse more before decoding.
- `allow_every_method()`, a `before_send` hook: the `Allow` of an OPTIONS answer lists every
  method its path serves. Litestar builds a path's OPTIONS handler with the path's first
  handlers, and keeps that handler when it adds the path's other handlers (litestar#4169,
  fixed in Litestar 3), so its `Allow` named the first ones only (`OPTIONS, PATCH` on a path
  that GET serves too). Routes whose paths differ only in their parameters' names
  (`/{user_id:int}`, `/{goal_id:int}`) are one path for HTTP, and their methods are listed
  together. The 405 answers to an undeclared method read the route's own methods and are
  right. A CORS preflight (with `Origin`) is answered by the CORS middleware before any route,
  and is left alone.
"""

import re
from collections import defaultdict
from typing import Any

from litestar import Litestar, Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ClientException
from litestar.routes import HTTPRoute
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

TOO_DEEP = "The JSON body is nested too deeply"


class JSONRequest(Request[Any, Any, Any]):
    """A body nested beyond what the JSON decoder follows is the caller's 400; the decoder's
    RecursionError would otherwise be a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError as error:
            raise ClientException(TOO_DEEP) from error


_PARAMETER = re.compile(r"\{[^}]*\}")


def _http_path(path: str) -> str:
    """`path` as HTTP sees it: its parameters unnamed (`/goals/{}`)."""
    return _PARAMETER.sub("{}", path)


def _paths_of(app: Litestar) -> dict[str, str]:
    """Each HTTP path of `app` (parameters unnamed) and its Allow value."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            methods[_http_path(route.path)].update(route.methods)
    return {path: ", ".join(sorted(served)) for path, served in methods.items()}


def allow_every_method() -> BeforeMessageSendHookHandler:
    """A `before_send` hook for one app: the `Allow` of an OPTIONS answer lists every method of
    its path (read from the app's routes on first use, when they are all registered)."""
    paths: dict[str, str] = {}

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        handler: Any = scope.get("route_handler")
        if handler is None or handler.http_methods != {"OPTIONS"}:
            return
        if not paths:
            paths.update(_paths_of(scope["litestar_app"]))
        allow = next(
            (paths[key] for path in handler.paths if (key := _http_path(path)) in paths), None
        )
        if allow is not None:
            MutableScopeHeaders.from_message(message)["Allow"] = allow

    return hook
