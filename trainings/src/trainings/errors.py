"""Exceptions that become JSON ``{"detail": …}`` responses, and the app's exception-handler map.

Declared glue: this file is identical in every service that carries it (ARCHITECTURE.md,
"Declared glue"); what differs between services is passed to `exception_handlers`.
"""

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)

# The answer to a value no store can hold: a NUL, an unpaired surrogate (it has no UTF-8 form),
# a number beyond the column's range.
UNSTORABLE = (
    "The request holds a value that cannot be stored: a NUL character, an unpaired surrogate "
    "or a number out of range"
)


class ServiceUnavailable(HTTPException):
    status_code = 503


class Conflict(HTTPException):
    status_code = 409


class PayloadTooLarge(HTTPException):
    status_code = 413


class NotAcceptable(HTTPException):
    """The 2023 API answered 406 for contradictory search parameters; the clients know it."""

    status_code = 406


class TooManyRequests(HTTPException):
    status_code = 429


class UpstreamError(HTTPException):
    """Another FiuFit service refused the call; its status and detail are passed on."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail=detail, status_code=status_code)


def validation_summary(errors: object) -> str | None:
    """'objective: Input should be greater than 0; …' from Litestar's list of errors."""
    if not isinstance(errors, list):
        return None
    parts = [
        f"{e['key']}: {e['message']}" if e.get("key") else str(e.get("message"))
        for e in errors
        if isinstance(e, dict)
    ]
    return "; ".join(parts) or None


def exception_handlers(
    outages: tuple[type[Exception], ...] = (),
    database_detail: str = "Database unavailable",
    summarise_validation: bool = False,
    unstorable: tuple[type[Exception], ...] = (),
) -> ExceptionHandlersMap:
    """Litestar's `exception_handlers` map, the one place errors become responses:

    - an `HTTPException` (ours above, or Litestar's) is `{"detail": …}` with its status and
      headers, plus `"errors"` when it carries some (validation failures). With
      `summarise_validation`, a validation failure's `detail` reads the errors
      ("objective: Input should be greater than 0; …") instead of Litestar's generic text;
    - `outages`, the exceptions that mean the database cannot be reached right now (the
      service's `db.OUTAGES`; none for a service without Postgres), are a 503
      `{"detail": database_detail}`, logged as a warning;
    - a value that cannot be encoded (`UnicodeError`: an unpaired surrogate) or stored
      (`unstorable`: the service's `db.UNSTORABLE`, e.g. asyncpg's `DataError`) is the caller's
      400 `UNSTORABLE`;
    - anything else is logged with its traceback and answered 500 "Internal server error".
    """

    def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[object]:
        body: dict[str, object] = {"detail": error.detail}
        if error.extra:
            body["errors"] = error.extra
            if summarise_validation and isinstance(error, ValidationException):
                body["detail"] = validation_summary(error.extra) or error.detail
        return Response(body, status_code=error.status_code, headers=error.headers)

    def database_down(request: Request[Any, Any, Any], error: Exception) -> Response[object]:
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
        return Response(
            {"detail": database_detail},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            media_type=MediaType.JSON,
        )

    def bad_value(request: Request[Any, Any, Any], error: Exception) -> Response[object]:
        log.info("unstorable value on %s %s: %r", request.method, request.url.path, error)
        return Response(
            {"detail": UNSTORABLE}, status_code=HTTP_400_BAD_REQUEST, media_type=MediaType.JSON
        )

    def internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[object]:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return Response(
            {"detail": "Internal server error"},
            status_code=HTTP_500_INTERNAL_SERVER_ERROR,
            media_type=MediaType.JSON,
        )

    return {
        HTTPException: http_error,
        UnicodeError: bad_value,
        **dict.fromkeys(unstorable, bad_value),
        **dict.fromkeys(outages, database_down),
        Exception: internal_error,
    }
