"""What every app's ASGI handler and requests get beyond Litestar 2.25 (declared glue).

- `JSONRequest`, the app's `request_class` (or its base): a JSON body nested deeper than the
  decoder follows (thousands of `[`: msgspec raises RecursionError) is the caller's 400,
  `TOO_DEEP`, where it would otherwise be a 500. A service may subclass it to refuse more
  before decoding, or to carry what its routes read from the request.
- `install(app)`, on the app's ASGI handler, does two things:
  - **CORS only where there is an origin.** Litestar's CORS middleware builds a header
    multidict on every request to look for `Origin`, and then passes the requests without one
    through untouched. Those (the mobile app, the services, the gateway's own checks: nearly
    all) now skip it: a scan of the raw headers decides. Requests with `Origin` go through it
    as before, preflights included.
  - **The `Allow` of an OPTIONS answer lists every method its path serves.** Litestar builds
    a path's OPTIONS handler with the path's first handlers, and keeps that handler when it
    adds the path's other handlers (litestar#4169, fixed in Litestar 3), so its `Allow` named
    the first ones only (`OPTIONS, PATCH` on a path that GET serves too). Routes whose paths
    differ only in their parameters' names (`/{user_id:int}`, `/{goal_id:int}`) are one path
    for HTTP, and their methods are listed together. The 405 answers to an undeclared method
    read the route's own methods and are right. A CORS preflight (with `Origin`) is answered by
    the CORS middleware before any route, and is left alone. Only OPTIONS requests pass
    through the fix: a `before_send` hook would wrap every message of every request.
"""

import re
from collections import defaultdict
from typing import Any

from litestar import Litestar, Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ClientException
from litestar.middleware._internal.cors import CORSMiddleware
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


_ORIGIN = b"origin"


class _Protocol:
    """The app's ASGI handler, with CORS for requests with `Origin` only, and the `Allow` of
    its OPTIONS answers completed."""

    def __init__(self, app: ASGIApp) -> None:
        self._cors = app
        # Litestar's handler is the CORS middleware around the rest, when the app has CORS.
        self._app: ASGIApp = app.app if isinstance(app, CORSMiddleware) else app
        self._paths: dict[str, str] = {}  # read from the app's routes on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        for name, _ in scope.get("headers", ()):
            if name == _ORIGIN:
                app = self._cors
                break
        if scope.get("method") != "OPTIONS":
            await app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._complete(message, scope)
            await send(message)

        await app(scope, receive, send_with_allow)

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


def install(app: Litestar) -> None:
    """Wraps `app`'s ASGI handler, right after `Litestar(...)` (access.install stays outermost)."""
    app.asgi_handler = _Protocol(app.asgi_handler)
