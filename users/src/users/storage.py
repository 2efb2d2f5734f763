"""The client of authentication's image storage (`/auth/storage/{name}`, `X-Service-Token`).

Declared glue (ARCHITECTURE.md): identical in users, trainings and goals; overlays/check_glue.py
checks. What differs between the services is passed in: the texts their clients read
(`Wording`), the read cache and how many downloads run at once. The object names
(`users/<id>/avatar`, `trainings/<id>/media-<random>`, `goals/<id>/image`) belong to each
service's own area.

- `put` stores a base64 image. authentication's 400 (not an image, bad base64) is the caller's
  400 and its 413 the caller's 413, with the storage's detail in the service's wording; any
  other answer, or none, is a 503.
- `get` is the base64 image, or None when storage has no such object. Concurrent reads of one
  name share one download, at most `concurrency` downloads run at once, and with `cache_bytes`
  the reads (misses too) stay in a bounded in-process cache: only for names that always denote
  the same bytes (trainings gives every upload a new name).
- `delete` removes an object (one already gone is fine); a failure is a 503, which a caller
  cleaning up may ignore (an orphan object is harmless).
- `ping` is a readiness check: any answer of the storage route means authentication serves it.
- `known_size` is the base64 length of an object this process stored or read: inline.py's
  per-response budget plans its downloads with it.
"""

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from litestar.exceptions import ClientException
from prometheus_client import Counter

from .errors import PayloadTooLarge, ServiceUnavailable

log = logging.getLogger(__name__)

V = TypeVar("V")

LOOKUPS = Counter(
    f"fiufit_{__package__}_media_lookups",
    "Reads of stored images by where they were served from (cache, shared, storage)",
    ["source"],
)


def base64_length(decoded_bytes: int) -> int:
    return 4 * ((decoded_bytes + 2) // 3)


class _LeastRecentlyUsed(Generic[V]):
    """Values by name within a bound on their total cost, the least recently used dropped first;
    a value that costs more than the whole bound is not kept."""

    def __init__(self, bound: int) -> None:
        self._bound = bound
        self._spent = 0
        self._items: OrderedDict[str, V] = OrderedDict()

    @staticmethod
    def _cost(name: str, value: V) -> int:
        return 1

    def get(self, name: str) -> V | None:
        value = self._items.get(name)
        if value is not None:
            self._items.move_to_end(name)
        return value

    def put(self, name: str, value: V) -> None:
        self.forget(name)
        cost = self._cost(name, value)
        if cost > self._bound:
            return
        self._items[name] = value
        self._spent += cost
        while self._spent > self._bound:
            self._spent -= self._cost(*self._items.popitem(last=False))

    def forget(self, name: str) -> None:
        if name in self._items:
            self._spent -= self._cost(name, self._items.pop(name))


class KnownSizes(_LeastRecentlyUsed[int]):
    """Base64 lengths of objects by name, at most `max_entries` of them."""

    def __init__(self, max_entries: int = 50_000) -> None:
        super().__init__(max_entries)


class ReadCache(_LeastRecentlyUsed[str]):
    """Base64 images by name, bounded by their total length (names included); "" records a
    missing object. A bound of 0 keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)

    @staticmethod
    def _cost(name: str, value: str) -> int:
        return len(name) + len(value) + 64


@dataclass(frozen=True)
class Wording:
    """The `detail` a service's clients read when storage refuses an image or fails; `{detail}`
    stands for the storage's own detail."""

    unavailable: str  # 503: storage did not answer, or answered something else
    refused: str = "{detail}"  # 400: not an image, bad base64
    too_large: str = "{detail}"  # 413: larger than authentication's limit


class Storage:
    def __init__(
        self,
        http: httpx.AsyncClient,
        auth_url: str,
        service_token: str,
        wording: Wording,
        *,
        cache_bytes: int = 0,
        concurrency: int | None = None,
    ) -> None:
        self._http = http
        self._base = f"{auth_url.rstrip('/')}/auth/storage"
        self._headers = {"X-Service-Token": service_token}
        self._wording = wording
        self._cache = ReadCache(cache_bytes)
        self._slots: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(concurrency) if concurrency else contextlib.nullcontext()
        )
        self._in_flight: dict[str, asyncio.Future[str | None]] = {}
        # Base64 length of each object this process stored or read.
        self._sizes = KnownSizes()

    def known_size(self, name: str) -> int | None:
        """The base64 length of an object, when this process knows it (None otherwise)."""
        cached = self._cache.get(name)
        if cached is not None:
            return len(cached)
        return self._sizes.get(name)

    def _unavailable(self) -> ServiceUnavailable:
        return ServiceUnavailable(self._wording.unavailable)

    async def _call(self, method: str, name: str, body: object = None) -> httpx.Response:
        try:
            return await self._http.request(
                method, f"{self._base}/{name}", json=body, headers=self._headers
            )
        except httpx.HTTPError as error:
            log.warning("storage %s %s failed: %r", method, name, error)
            raise self._unavailable() from error

    async def put(self, name: str, image: str) -> None:
        """Stores a base64 image; a bad or oversized one is the caller's 400 or 413."""
        response = await self._call("PUT", name, {"image": image})
        if response.is_success:
            self._cache.forget(name)
            # Not cached: authentication may store other bytes than those sent (it re-encodes
            # images and strips their metadata). The size it stored is known from its answer.
            try:
                self._sizes.put(name, base64_length(int(response.json()["size"])))
            except (ValueError, KeyError, TypeError):
                self._sizes.forget(name)
            return
        detail = detail_of(response)
        if response.status_code == 400:
            raise ClientException(self._wording.refused.format(detail=detail))
        if response.status_code == 413:
            raise PayloadTooLarge(self._wording.too_large.format(detail=detail))
        log.warning("storage PUT %s answered %s: %s", name, response.status_code, detail)
        raise self._unavailable()

    async def get(self, name: str) -> str | None:
        cached = self._cache.get(name)
        if cached is not None:
            LOOKUPS.labels("cache").inc()
            return cached or None  # "" records a missing object
        pending = self._in_flight.get(name)
        if pending is not None:
            LOOKUPS.labels("shared").inc()
            return await asyncio.shield(pending)
        future: asyncio.Future[str | None] = asyncio.ensure_future(self._download(name))
        self._in_flight[name] = future
        future.add_done_callback(lambda done: self._landed(name, done))
        LOOKUPS.labels("storage").inc()
        return await asyncio.shield(future)

    def _landed(self, name: str, done: asyncio.Future[str | None]) -> None:
        self._in_flight.pop(name, None)
        if not done.cancelled():
            done.exception()  # retrieved: every reader that still waits gets it raised

    async def _download(self, name: str) -> str | None:
        async with self._slots:
            response = await self._call("GET", name)
        if response.status_code == 404:
            log.warning("object %s is missing from storage", name)
            self._cache.put(name, "")
            return None
        image = _image(response)
        if image is None:
            log.warning("storage GET %s answered %s", name, response.status_code)
            raise self._unavailable()
        self._cache.put(name, image)
        self._sizes.put(name, len(image))
        return image

    async def delete(self, name: str) -> None:
        self._sizes.forget(name)
        self._cache.forget(name)
        response = await self._call("DELETE", name)
        if not response.is_success and response.status_code != 404:
            log.warning("storage DELETE %s answered %s", name, response.status_code)
            raise self._unavailable()

    async def ping(self) -> None:
        # Any answer from the storage route (404 included) means authentication is serving.
        response = await self._call("GET", f"{__package__}/readiness/probe")
        if response.status_code not in (200, 404):
            raise ServiceUnavailable(f"Storage answered {response.status_code}")


def _image(response: httpx.Response) -> str | None:
    """The base64 image of a 200 answer; None for any other answer."""
    if response.status_code != 200:
        return None
    try:
        image = response.json()["image"]
    except (ValueError, KeyError, TypeError):
        return None
    return image if isinstance(image, str) else None


def detail_of(response: httpx.Response) -> str:
    """The `detail` of a FiuFit service's JSON error, or the reason phrase of its status."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.reason_phrase or "Request refused"
