"""`OPTIONS` answers with every method its path serves in `Allow`.

Litestar (2.25) builds a path's OPTIONS handler with the path's first handlers, and keeps that
handler when it adds the path's other handlers, so its `Allow` named the first ones only
(`OPTIONS, PATCH` on `/trainings/{training_id}`, which GET serves too). Its 405 answers to an
undeclared method read the route's own methods and are right. This hook writes those methods
into the OPTIONS answer as well. A CORS preflight (with `Origin`) is answered by the CORS
middleware before any route, and is left alone.
"""

from typing import Any

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import BeforeMessageSendHookHandler, Message, Scope


def _paths_of(app: Litestar) -> dict[str, str]:
    """Each HTTP path of `app` and its Allow value."""
    return {
        route.path: ", ".join(sorted(route.methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }


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
        allow = next((paths[path] for path in handler.paths if path in paths), None)
        if allow is not None:
            MutableScopeHeaders.from_message(message)["Allow"] = allow

    return hook
