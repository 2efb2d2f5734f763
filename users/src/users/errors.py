"""Exceptions that become JSON ``{"detail": …}`` responses."""

from litestar.exceptions import HTTPException


class ServiceUnavailable(HTTPException):
    status_code = 503


class Conflict(HTTPException):
    status_code = 409


class NotAcceptable(HTTPException):
    """The 2023 API answered 406 for contradictory search parameters; the clients know it."""

    status_code = 406


class TooManyRequests(HTTPException):
    status_code = 429


class UpstreamError(HTTPException):
    """Another FiuFit service refused the call; its status and detail are passed on."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail=detail, status_code=status_code)
