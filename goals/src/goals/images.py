"""Goal images, kept by authentication's storage endpoints as ``goals/<id>/image``."""

import logging

import httpx
from litestar.exceptions import ClientException, HTTPException

from goals.errors import PayloadTooLarge, ServiceUnavailable
from goals.inline import KnownSizes, base64_length

log = logging.getLogger(__name__)


def image_name(goal_id: int) -> str:
    return f"goals/{goal_id}/image"


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail or response.reason_phrase)


class ImageStorage:
    def __init__(self, http: httpx.AsyncClient, auth_url: str, service_token: str) -> None:
        self._http = http
        self._base = f"{auth_url.rstrip('/')}/auth/storage"
        self._headers = {"X-Service-Token": service_token}
        # Base64 length of each image this process stored or read (a goal's image never changes).
        self.sizes = KnownSizes()

    async def _call(self, method: str, name: str, **kwargs: object) -> httpx.Response:
        try:
            return await self._http.request(
                method,
                f"{self._base}/{name}",
                headers=self._headers,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable("Image storage is unavailable") from error

    async def put(self, name: str, image: str) -> None:
        """Stores a base64 image; a bad image is the caller's 400/413, anything else a 503."""
        response = await self._call("PUT", name, json={"image": image})
        if response.status_code == 200:
            try:  # the size authentication stored (it may re-encode the image)
                self.sizes.put(name, base64_length(int(response.json()["size"])))
            except (ValueError, KeyError, TypeError):
                self.sizes.forget(name)
            return
        error: HTTPException
        if response.status_code == 413:
            error = PayloadTooLarge(_detail(response))
        elif response.status_code == 400:
            error = ClientException(f"Invalid image: {_detail(response)}")
        else:
            log.warning("image upload answered %s: %s", response.status_code, response.text)
            error = ServiceUnavailable("Image storage is unavailable")
        raise error

    async def get(self, name: str) -> str | None:
        response = await self._call("GET", name)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable("Image storage is unavailable")
        image: str = response.json()["image"]
        self.sizes.put(name, len(image))
        return image

    async def delete(self, name: str) -> None:
        self.sizes.forget(name)
        response = await self._call("DELETE", name)
        if response.status_code not in (204, 404):
            raise ServiceUnavailable("Image storage is unavailable")
