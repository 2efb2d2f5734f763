"""Exceptions that become JSON ``{"detail": …}`` responses."""

from litestar.exceptions import HTTPException


class ServiceUnavailable(HTTPException):
    status_code = 503


class PayloadTooLarge(HTTPException):
    status_code = 413
