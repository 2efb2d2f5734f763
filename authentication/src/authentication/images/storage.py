"""Images in the Firebase Storage bucket (fake-gcs-server locally)."""

import anyio.to_thread
import firebase_admin
from firebase_admin import storage
from google.api_core import exceptions as gcs_errors
from google.cloud.storage.retry import DEFAULT_RETRY
from litestar.exceptions import NotFoundException
from requests import exceptions as requests_errors

from authentication.errors import ServiceUnavailable

# Both client libraries surface an unreachable or failing store through these.
_OUTAGES = (
    gcs_errors.ServerError,
    gcs_errors.RetryError,
    requests_errors.ConnectionError,
    requests_errors.Timeout,
)


class ImageStore:
    def __init__(self, app: firebase_admin.App, timeout: float) -> None:
        self._bucket = storage.bucket(app=app)
        self._timeout = timeout
        # The library retries for up to two minutes by default; a request cannot wait that long.
        self._retry = DEFAULT_RETRY.with_timeout(timeout)

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        blob = self._bucket.blob(name)
        try:
            await anyio.to_thread.run_sync(
                lambda: blob.upload_from_string(
                    data, content_type=content_type, timeout=self._timeout, retry=self._retry
                )
            )
        except _OUTAGES as error:
            raise ServiceUnavailable("Image storage is unavailable") from error

    async def get(self, name: str) -> bytes:
        blob = self._bucket.blob(name)
        try:
            data: bytes = await anyio.to_thread.run_sync(
                lambda: blob.download_as_bytes(timeout=self._timeout, retry=self._retry)
            )
        except gcs_errors.NotFound as error:
            raise NotFoundException("No image with that name") from error
        except _OUTAGES as error:
            raise ServiceUnavailable("Image storage is unavailable") from error
        return data

    async def delete(self, name: str) -> None:
        blob = self._bucket.blob(name)
        try:
            await anyio.to_thread.run_sync(
                lambda: blob.delete(timeout=self._timeout, retry=self._retry)
            )
        except gcs_errors.NotFound:
            return  # deleting is idempotent
        except _OUTAGES as error:
            raise ServiceUnavailable("Image storage is unavailable") from error

    async def ping(self) -> None:
        try:
            exists = await anyio.to_thread.run_sync(
                lambda: self._bucket.exists(timeout=self._timeout, retry=self._retry)
            )
        except _OUTAGES as error:
            raise ServiceUnavailable("Image storage is unavailable") from error
        if not exists:
            raise ServiceUnavailable(f"Bucket {self._bucket.name} does not exist")
