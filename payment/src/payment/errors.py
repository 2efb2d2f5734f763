"""Exceptions that become JSON ``{"detail": …}`` responses."""

from litestar.exceptions import HTTPException


class ServiceUnavailable(HTTPException):
    status_code = 503


class Conflict(HTTPException):
    status_code = 409


class ChainUnavailable(ServiceUnavailable):
    """The Ethereum node cannot be reached."""

    def __init__(self, detail: str = "Blockchain unreachable") -> None:
        super().__init__(detail=detail)
