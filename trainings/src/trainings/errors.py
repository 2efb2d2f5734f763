"""Exceptions that become JSON ``{"detail": …}`` responses."""

from litestar.exceptions import HTTPException


class ServiceUnavailable(HTTPException):
    status_code = 503


class Conflict(HTTPException):
    status_code = 409


class PayloadTooLarge(HTTPException):
    status_code = 413
