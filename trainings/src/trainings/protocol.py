"""Two fixes to Litestar 2.25's HTTP answers that every app takes (declared glue).

- `JSONRequest`, the app's `request_class`: a JSON body nested deeper than the decoder follows
  (thousands of `[`: msgspec raises RecursionError) is the caller's 400, `TOO_DEEP`, where it
  would otherwise be a 500. A service may subclass it to refuse more before decoding.
- `allow_every_method(app)`, installed on the app's ASGI handler: the `Allow` of an OPTIONS
  answer lists every method its path serves. Litestar builds a path's OPTIONS handler with the
  path's first handlers, and keeps that handler when it adds the path's other handlers
  (litestar#4169, fixed in Litestar 3), so its `Allow` named the first ones only (`OPTIONS,
  PATCH` on a path that GET serves too). Routes whose paths differ only in their parameters' names
  (`/{user_id:int}`, `/{goal_id:int}`) are one path for HTTP, and their methods are listed
  together. The 405 answers to an undeclared method read the route's own methods and are
  right. A CORS preflight (with `Origin`) is answered by the CORS middleware before any route,
  and is left alone. Only OPTIONS requests pass through the fix: a `before_send` hook would
  wrap every message of every request.
"""

import re
from collections import defaultdict
from typing import Any

from litestar import Litestar, Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ClientException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

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


class _EveryMethodAllowed:
    """The app's ASGI handler, with the `Allow` of its OPTIONS answers completed."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._paths: dict[str, str] = {}  # read from the app's routes on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS":
            await self._app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._complete(message, scope)
            await send(message)

        await self._app(scope, receive, send_with_allow)

    def _complete(self, message: Message, scope: Scope) -> None:
        handler: Any = scope.get("route_handler")
        if handler is None or handler.http_methods != {"OPTIONS"}:
            return
        if not self._paths:
            self._paths.update(_paths_of(scope["litestar_app"]))
        keys = (_http_path(path) for path in handler.paths)
        allow = next((self._paths[key] for key in keys if key in self._paths), None)
        if allow is not None:
            MutableScopeHeaders.from_message(message)["Allow"] = allow


def allow_every_method(app: Litestar) -> None:
    """Installs the fix on `app`'s ASGI handler (before access.install, which stays outermost)."""
    app.asgi_handler = _EveryMethodAllowed(app.asgi_handler)
