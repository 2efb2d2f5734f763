"""One JSON access-log line per request, and the request id that lets one journey be followed
across services: taken from the gateway's `X-Request-ID` (or generated), answered back in the
response's `X-Request-ID`, and sent on every internal HTTP call (`propagate`, an httpx hook).

Declared glue (ARCHITECTURE.md): this file is identical in every service, and
overlays/check_glue.py fails when one copy differs. Change every copy in one commit.

`install(app, metrics)` wraps the whole ASGI handler rather than joining Litestar's middleware
list, because Litestar runs that list only after routing: a 404 or a 405 would leave no line.
The same wrapper records the request metrics (prometheus.py) of each request that reached a
route, so they need no layer of their own. `lines = False` on it keeps the metrics only: a
benchmark compares with that to show what the line and the request id cost.

Lines are kept in memory and written together, at most FLUSH_EVERY after the first of them, at
once when MAX_PENDING wait, and at shutdown (`flush`): the images run with PYTHONUNBUFFERED=1,
where every `sys.stdout.write` is a system call, which per line cost more than the request's
own work. A line's `time` is when its request ended, so a reader still orders them; a crash
loses at most FLUSH_EVERY of them.
"""

import asyncio
import atexit
import contextlib
import itertools
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, Protocol

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
FLUSH_EVERY = 0.5  # seconds a line may wait to be written
MAX_PENDING = 256  # lines (about 64 KiB): more are written at once
# Generated ids: a random per-process prefix and a counter, 32 hex characters like nginx's,
# unique across replicas without a system call per request.
_PREFIX = os.urandom(8).hex()
_SEQUENCE = itertools.count()


_pending: list[bytes] = []
_write_by = 0.0  # the monotonic time the oldest pending line must be written by
_tail_due = False  # a timer will write what is pending (the last lines before a quiet spell)


def flush() -> None:
    """Writes the pending lines (the timer does, shutdown does; a test reading stdout may)."""
    global _tail_due
    _tail_due = False
    if not _pending:
        return
    _pending.append(b"")  # the last line's newline
    text = b"\n".join(_pending).decode()  # one decode per batch, not per line
    _pending.clear()
    with contextlib.suppress(OSError, ValueError):  # a broken stdout must not stop serving
        sys.stdout.write(text)
        sys.stdout.flush()


atexit.register(flush)


def _keep(line: bytes) -> None:
    global _write_by, _tail_due
    now = time.monotonic()
    if not _pending:
        _write_by = now + FLUSH_EVERY
    _pending.append(line)
    # Checked on every line, not only by the timer: a timer scheduled on a loop that has since
    # closed (a test's) never fires.
    if len(_pending) >= MAX_PENDING or now >= _write_by:
        flush()
    elif not _tail_due:
        _tail_due = True
        asyncio.get_running_loop().call_later(FLUSH_EVERY, flush)


def _new_id() -> str:
    return f"{_PREFIX}{next(_SEQUENCE):016x}"


class _Request:
    """What the line needs that only the handlers learn (the caller); mutable, so a value noted
    in a child context (a dependency resolved in a task group) still reaches the line."""

    __slots__ = ("caller_id", "caller_role", "id", "scope")

    def __init__(self, request_id: str, scope: Scope) -> None:
        self.id = request_id
        self.scope = scope  # the router writes the route template there (prometheus.py)
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


class _Line(msgspec.Struct, omit_defaults=True):
    """One access line, in this order (a struct encodes in about half the time of a dict)."""

    time: str
    level: str
    logger: str
    message: str
    method: str
    route: str
    status: int
    duration_ms: float
    request_id: str
    caller_id: int | None = None  # only when a token was verified
    caller_role: str | None = None


class RequestMetrics(Protocol):
    """What the wrapper records each request in (prometheus.RequestMetrics)."""

    in_flight: set[Any]

    def finished(self, method: str, route: str, status: int, seconds: float) -> None: ...


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self._app = app
        self._metrics = metrics
        self._clock = _Clock()
        self.lines = True  # False: the request metrics only (what a benchmark compares with)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        if not self.lines:
            await self._measured(scope, receive, send)
            return
        started = time.perf_counter()
        raw_id: bytes | None = None
        for name, value in scope["headers"]:
            if name == _RAW_HEADER:
                raw_id = value if _ACCEPTED.fullmatch(value) else None
                break
        if raw_id is None:
            request_id = _new_id()
            raw_id = request_id.encode()
        else:
            request_id = raw_id.decode()
        current = _Request(request_id, scope)
        token = _current.set(current)
        in_flight = self._metrics.in_flight
        in_flight.add(current)
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
            in_flight.discard(current)
            seconds = time.perf_counter() - started
            method = scope["method"]
            template = scope.get("path_template")
            if template is not None:  # what reached a route, as Litestar's plugin counted
                self._metrics.finished(method, template, status, seconds)
            route = template or "(unrouted)"
            line = _Line(
                self._clock.now(),
                "info",
                "access",
                f"{method} {route} {status}",
                method,
                route,
                status,
                # Two decimals without round(), which goes through a decimal string and back.
                int(seconds * 100_000) / 100,
                current.id,
                current.caller_id,
                current.caller_role,
            )
            # To stdout (the JSON log stream of logs.py) but not through the logging module,
            # whose handler machinery would cost more than the request itself.
            _keep(_encode(line))

    async def _measured(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500
        holder = _Request("", scope)
        self._metrics.in_flight.add(holder)

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            self._metrics.in_flight.discard(holder)
            template = scope.get("path_template")
            if template is not None:
                method = str(scope.get("method", ""))
                self._metrics.finished(method, template, status, time.perf_counter() - started)


def install(app: Litestar, metrics: RequestMetrics) -> None:
    """Wraps `app`'s ASGI handler, outermost; `metrics` (prometheus.py) records each request."""
    app.asgi_handler = AccessLog(app.asgi_handler, metrics)
    app.on_shutdown.append(flush)
