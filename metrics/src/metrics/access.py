"""One JSON access-log line per request, and the request id that lets one journey be followed
across services: taken from the gateway's `X-Request-ID` (or generated), answered back in the
response's `X-Request-ID`, and sent on every internal HTTP call (`propagate`, an httpx hook).

Declared glue (ARCHITECTURE.md): this file is identical in every service, and
overlays/check_glue.py fails when one copy differs. Change every copy in one commit.

`install(app)` wraps the whole ASGI handler rather than joining Litestar's middleware list,
because Litestar runs that list only after routing: a 404 or a 405 would leave no line.
"""

import asyncio
import contextlib
import itertools
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_RAW_HEADER = HEADER.lower().encode()
# An id from outside is kept only if it is short and plain: it is logged and forwarded as is.
_ACCEPTED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_encode = msgspec.json.Encoder().encode
# Lines are written at once but flushed at most this often: a flush is a system call, which
# per request would cost more than the line itself. A crash loses at most this much of the log.
FLUSH_EVERY = 0.5  # seconds
# Generated ids: a random per-process prefix and a counter, 32 hex characters like nginx's,
# unique across replicas without a system call per request.
_PREFIX = os.urandom(8).hex()
_SEQUENCE = itertools.count()


def _new_id() -> bytes:
    return f"{_PREFIX}{next(_SEQUENCE):016x}".encode()


class _Request:
    """What the line needs that only the handlers learn (the caller); mutable, so a value noted
    in a child context (a dependency resolved in a task group) still reaches the line."""

    __slots__ = ("caller_id", "caller_role", "id")

    def __init__(self, request_id: str) -> None:
        self.id = request_id
        self.caller_id: int | None = None
        self.caller_role: str | None = None


_current: ContextVar[_Request | None] = ContextVar("fiufit_request", default=None)


def request_id() -> str | None:
    """The id of the request being served, if any (background tasks have none)."""
    current = _current.get()
    return current.id if current else None


def note_caller(role: str, caller_id: int) -> None:
    """Called once the token is verified: the access line then names the caller."""
    current = _current.get()
    if current is not None:
        current.caller_role, current.caller_id = role, caller_id


async def propagate(request: httpx.Request) -> None:
    """httpx request hook: internal calls carry the request id of the request they serve."""
    current = _current.get()
    if current is not None:
        request.headers[HEADER] = current.id


class _Clock:
    """ISO-8601 local time with offset, formatted once per second rather than per line."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))
        return self._text


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._clock = _Clock()
        self._flush_due = False

    def _flush_soon(self) -> None:
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_later(FLUSH_EVERY, self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        with contextlib.suppress(OSError, ValueError):  # a broken stdout must not stop serving
            sys.stdout.flush()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = next((v for k, v in scope["headers"] if k == _RAW_HEADER), None)
        kept = incoming is not None and _ACCEPTED.fullmatch(incoming)
        raw_id = incoming if kept and incoming is not None else _new_id()
        current = _Request(raw_id.decode())
        token = _current.set(current)
        status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (_RAW_HEADER, raw_id)]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
            method = scope["method"]
            route = scope.get("path_template") or "(unrouted)"
            line: dict[str, Any] = {
                "time": self._clock.now(),
                "level": "info",
                "logger": "access",
                "message": f"{method} {route} {status}",
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": current.id,
            }
            if current.caller_id is not None:
                line["caller_id"] = current.caller_id
                line["caller_role"] = current.caller_role
            # Straight to stdout (the JSON log stream of logs.py): the logging module's handler
            # machinery would cost more than the request itself.
            sys.stdout.write(_encode(line).decode() + "\n")
            self._flush_soon()


def install(app: Litestar) -> None:
    app.asgi_handler = AccessLog(app.asgi_handler)
