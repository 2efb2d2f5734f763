"""Calls to the internal FiuFit services: one shared httpx client, the service credential,
outages mapped to 503 and refusals passed on with their status and detail."""

import logging
from typing import Any

import httpx

from users.errors import ServiceUnavailable, UpstreamError
from users.storage import detail_of

log = logging.getLogger(__name__)

SERVICE_TOKEN_HEADER = "X-Service-Token"


class Upstream:
    def __init__(self, http: httpx.AsyncClient, base_url: str, service_token: str, name: str):
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = service_token
        self.name = name

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Returns 2xx responses; raises UpstreamError for 4xx and ServiceUnavailable otherwise."""
        try:
            response = await self._http.request(
                method,
                f"{self._base}{path}",
                json=json,
                params=params,
                headers={SERVICE_TOKEN_HEADER: self._token, **(headers or {})},
            )
        except httpx.HTTPError as error:
            log.warning("%s unreachable: %s %s: %r", self.name, method, path, error)
            raise ServiceUnavailable(f"The {self.name} service is unavailable") from error
        if response.is_success:
            return response
        detail = detail_of(response)
        # A refused service credential is our configuration, not the caller's fault.
        if 400 <= response.status_code < 500 and "service credential" not in detail:
            raise UpstreamError(response.status_code, detail)
        log.error("%s answered %s to %s %s", self.name, response.status_code, method, path)
        raise ServiceUnavailable(f"The {self.name} service is unavailable")

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            raise ServiceUnavailable(f"The {self.name} service answered garbage") from error
