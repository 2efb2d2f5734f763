"""Training media kept in authentication's storage, read back inline as base64.

Every upload gets a new object name (``trainings/<id>/media-<random>``), so a name always denotes
the same bytes, or once deleted nothing ever again: the in-process cache (of misses too) never
goes stale, across replicas too. A page of results
downloads its missing images concurrently, and concurrent requests for the same image share one
download.
"""

import asyncio
import logging
import secrets
from collections import OrderedDict

import httpx
from litestar.exceptions import ClientException
from prometheus_client import Counter

from trainings.errors import PayloadTooLarge, ServiceUnavailable
from trainings.inline import KnownSizes, base64_length

log = logging.getLogger(__name__)

MEDIA_LOOKUPS = Counter(
    "fiufit_trainings_media_lookups", "Media reads by where they were served from", ["source"]
)


def new_media_name(training_id: int) -> str:
    return f"trainings/{training_id}/media-{secrets.token_hex(8)}"


class _Cache:
    """Least-recently-used base64 strings, bounded by their total length (names included)."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def _cost(name: str, value: str) -> int:
        return len(name) + len(value) + 64

    def get(self, name: str) -> str | None:
        value = self._items.get(name)
        if value is not None:
            self._items.move_to_end(name)
        return value

    def put(self, name: str, value: str) -> None:
        cost = self._cost(name, value)
        if cost > self._max or name in self._items:
            return
        self._items[name] = value
        self._size += cost
        while self._size > self._max:
            dropped = self._items.popitem(last=False)
            self._size -= self._cost(*dropped)


class MediaStore:
    def __init__(
        self,
        http: httpx.AsyncClient,
        auth_url: str,
        service_token: str,
        cache_bytes: int,
        concurrency: int,
    ) -> None:
        self._http = http
        self._base = f"{auth_url.rstrip('/')}/auth/storage"
        self._headers = {"X-Service-Token": service_token}
        self._cache = _Cache(cache_bytes)
        self._downloads = asyncio.Semaphore(concurrency)
        self._in_flight: dict[str, asyncio.Future[str | None]] = {}
        # Base64 length of each object this process stored or read (names never change content).
        self.sizes = KnownSizes()

    def known_size(self, name: str) -> int | None:
        """The base64 length of an object, when this process knows it (None otherwise)."""
        cached = self._cache.get(name)
        if cached is not None:
            return len(cached)
        return self.sizes.get(name)

    async def _call(self, method: str, name: str, body: object = None) -> httpx.Response:
        try:
            return await self._http.request(
                method, f"{self._base}/{name}", json=body, headers=self._headers
            )
        except httpx.HTTPError as error:
            log.warning("storage %s %s failed: %s", method, name, error)
            raise ServiceUnavailable("Media storage is unavailable") from error

    async def put(self, name: str, image: str) -> None:
        """Stores a base64 image; bad or oversized images are the client's 4xx."""
        response = await self._call("PUT", name, {"image": image})
        if response.status_code == 200:
            # Not cached: authentication may store other bytes than those sent (it re-encodes
            # images and strips their metadata). The size it stored is known from its answer.
            try:
                self.sizes.put(name, base64_length(int(response.json()["size"])))
            except (ValueError, KeyError, TypeError):
                self.sizes.forget(name)
            return
        detail = _detail(response)
        if response.status_code == 413:
            raise PayloadTooLarge(f"Invalid media: {detail}")
        if response.status_code == 400:
            raise ClientException(f"Invalid media: {detail}")
        log.warning("storage PUT %s answered %s: %s", name, response.status_code, detail)
        raise ServiceUnavailable("Media storage is unavailable")

    async def delete(self, name: str) -> None:
        """Best effort: an orphan object is harmless, a failed request is not worth it."""
        self.sizes.forget(name)
        try:
            response = await self._call("DELETE", name)
        except ServiceUnavailable:
            return
        if response.status_code not in (204, 404):
            log.warning("storage DELETE %s answered %s", name, response.status_code)

    async def get(self, name: str) -> str | None:
        cached = self._cache.get(name)
        if cached is not None:
            MEDIA_LOOKUPS.labels("cache").inc()
            return cached or None  # "" records a missing object
        pending = self._in_flight.get(name)
        if pending is not None:
            MEDIA_LOOKUPS.labels("shared").inc()
            return await asyncio.shield(pending)
        future: asyncio.Future[str | None] = asyncio.ensure_future(self._download(name))
        self._in_flight[name] = future
        future.add_done_callback(lambda _: self._in_flight.pop(name, None))
        MEDIA_LOOKUPS.labels("storage").inc()
        return await asyncio.shield(future)

    async def _download(self, name: str) -> str | None:
        async with self._downloads:
            response = await self._call("GET", name)
        if response.status_code == 404:
            log.warning("media %s is missing from storage", name)
            self._cache.put(name, "")
            return None
        if response.status_code != 200:
            log.warning("storage GET %s answered %s", name, response.status_code)
            raise ServiceUnavailable("Media storage is unavailable")
        image: str = response.json()["image"]
        self._cache.put(name, image)
        self.sizes.put(name, len(image))
        return image

    async def ping(self) -> None:
        # Any answer from the storage route (404 included) means authentication is serving.
        response = await self._call("GET", "trainings/readiness/probe")
        if response.status_code not in (200, 404):
            raise ServiceUnavailable(f"Storage answered {response.status_code}")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
