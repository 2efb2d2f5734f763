"""The client of Firebase Auth: the admin SDK for account management, the Identity Toolkit REST
API (with the web API key) for what only an end user can do: password and Google sign-in, reset
mail. It maps outages to 503; what an answer means is the service's business (service.py)."""

import json
import os
from typing import Any

import anyio.to_thread
import firebase_admin
import httpx
from firebase_admin import auth
from firebase_admin import exceptions as firebase_errors
from litestar.exceptions import NotFoundException

from authentication.errors import ServiceUnavailable


def _identity_toolkit_url() -> str:
    emulator = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    if emulator:
        return f"http://{emulator}/identitytoolkit.googleapis.com/v1"
    return "https://identitytoolkit.googleapis.com/v1"


class FirebaseAuth:
    def __init__(self, app: firebase_admin.App, http: httpx.AsyncClient, api_key: str) -> None:
        self._app = app
        self._http = http
        self._api_key = api_key
        self._base = _identity_toolkit_url()

    async def admin(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Runs a blocking admin-SDK call in a worker thread: an unknown account is 404, an
        outage 503; the SDK's other errors reach the caller."""

        def call() -> Any:
            return function(*args, app=self._app, **kwargs)

        try:
            return await anyio.to_thread.run_sync(call)
        except auth.UserNotFoundError as error:
            raise NotFoundException("No such account") from error
        except (firebase_errors.UnavailableError, firebase_errors.DeadlineExceededError) as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error
        except firebase_errors.UnknownError as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error

    async def rest(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """An Identity Toolkit call: its status and JSON body, or 503 when there is no answer."""
        try:
            response = await self._http.post(
                f"{self._base}/{method}", params={"key": self._api_key}, json=body
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable("Firebase Auth is unavailable") from error
        # 501: the emulator cannot check this kind of credential (Google access tokens); to a
        # caller that is a credential we could not verify, not an outage.
        if response.status_code >= 500 and response.status_code != 501:
            raise ServiceUnavailable("Firebase Auth is unavailable")
        try:
            data = response.json()
        except json.JSONDecodeError as error:
            raise ServiceUnavailable("Firebase Auth answered garbage") from error
        return response.status_code, data

    async def ping(self) -> None:
        """Readiness: one cheap admin call that reaches Firebase Auth."""
        await self.admin(auth.list_users, max_results=1)
