"""A thin client for the FiuFit gateway that sends exactly what the mobile app and the back
office send (reference/original-clients.md): numbers as strings, extra fields, the raw Google
credential in `Authorization`. Shared by the end-to-end suite and the demo-data seed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import string
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import httpx

DEFAULT_GATEWAY = "http://127.0.0.1:8080"
ADMIN_EMAIL = os.environ.get("FIUFIT_ADMIN_EMAIL", "admin@fiufit.local")
ADMIN_PASSWORD = os.environ.get("FIUFIT_ADMIN_PASSWORD", "fiufit-admin")
PASSWORD = "secret-e2e-1"


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 40, 40)) -> str:
    """A real PNG (authentication's storage checks images), base64 without a `data:` prefix."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(raw).decode()


T = TypeVar("T")


def gateway_url() -> str:
    return os.environ.get("FIUFIT_GATEWAY_URL", DEFAULT_GATEWAY).rstrip("/")


def neighbourhoods() -> list[dict[str, Any]]:
    """The 48 Buenos Aires neighbourhoods, `[{location, coordinates: [lon, lat]}]`."""
    text = (
        resources.files("fiufit_e2e")
        .joinpath("data/buenos-aires-neighbourhoods.json")
        .read_text(encoding="utf-8")
    )
    data: list[dict[str, Any]] = json.loads(text)
    return data


def jitter(place: dict[str, Any], spread: float = 0.02) -> dict[str, Any]:
    """The neighbourhood's name with a random point up to `spread` degrees (~2 km) around it."""
    lon, lat = place["coordinates"]
    return {
        "location": place["location"],
        "coordinates": [
            round(lon + random.uniform(-spread, spread), 6),
            round(lat + random.uniform(-spread, spread), 6),
        ],
    }


def unique(prefix: str) -> str:
    """A username-safe unique token (`[A-Za-z0-9_-]`, short enough for 20 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def letters(count: int) -> str:
    """Random lowercase letters, for titles the clients allow (letters and spaces only)."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(count))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def google_credential(email: str, sub: str | None = None) -> str:
    """What the Firebase Auth emulator accepts as a Google id_token: unsigned JSON, sent raw."""
    return json.dumps(
        {"sub": sub or f"g-{uuid.uuid4().hex}", "email": email, "email_verified": True}
    )


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def poll(
    fetch: Callable[[], T],
    until: Callable[[T], bool],
    *,
    timeout: float = 30.0,
    interval: float = 0.5,
    what: str = "condition",
) -> T:
    """Call `fetch` until `until(value)` holds or the deadline passes (then AssertionError)."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {value!r}")
        time.sleep(interval)
        value = fetch()
    return value


@dataclass
class Account:
    """A signed-up user as the app knows it after login."""

    id: int
    token: str
    email: str
    username: str
    password: str
    is_athlete: bool
    location: str = ""
    coordinates: list[float] | None = None

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


class Gateway:
    """httpx against the gateway, retrying the login rate limit (429) politely."""

    def __init__(self, base_url: str | None = None, timeout: float = 60.0) -> None:
        self.base_url = base_url or gateway_url()
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(40):
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "2") or 2), 10.0))
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", path, **kwargs)

    # --- the mobile app's sign-up wizard (U3 / U4) and logins (U1 / U2 / U23) ---

    @staticmethod
    def signup_body(
        *,
        email: str,
        username: str,
        is_athlete: bool,
        password: str = PASSWORD,
        location: dict[str, Any] | None = None,
        image: str | None = None,
        name: str = "Ana",
        surname: str = "Pérez",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "email": email,
            "password": password,
            "name": name,
            "surname": surname,
            "username": username,
            "location": location["location"] if location else "",
            "is_athlete": is_athlete,
            "height": 1.72,
            "weight": 68,
            "birth_date": "1995-04-12",
            "registration_date": today().isoformat(),
            "image": image,
        }
        if location:
            body["coordinates"] = location["coordinates"]
        return body

    def sign_up(
        self,
        *,
        is_athlete: bool,
        location: dict[str, Any] | None = None,
        image: str | None = None,
        prefix: str | None = None,
        name: str = "Ana",
        surname: str = "Pérez",
        email: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        handle = username or unique(prefix or ("ath_" if is_athlete else "tr_"))
        body = self.signup_body(
            email=email or f"{handle.lower()}@e2e.example.com",
            username=handle,
            is_athlete=is_athlete,
            location=location,
            image=image,
            name=name,
            surname=surname,
        )
        response = self.post("/users", json=body)
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return body

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/users/login", json={"email": email, "password": password})
        assert response.status_code == 200, (response.status_code, response.text)
        data: dict[str, Any] = response.json()
        return data

    def new_account(
        self,
        *,
        is_athlete: bool,
        location: dict[str, Any] | None = None,
        image: str | None = None,
        prefix: str | None = None,
    ) -> Account:
        body = self.sign_up(is_athlete=is_athlete, location=location, image=image, prefix=prefix)
        session = self.login(body["email"])
        return Account(
            id=int(session["id"]),
            token=session["token"],
            email=body["email"],
            username=body["username"],
            password=body["password"],
            is_athlete=is_athlete,
            location=body["location"],
            coordinates=body.get("coordinates"),
        )

    def admin_login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        response = self.post("/admins/login", json={"email": email, "password": password})
        assert response.status_code == 200, (
            f"POST /admins/login as {email}: {response.status_code} {response.text}"
        )
        token: str = response.json()["token"]
        return token

    # --- reads the journeys repeat ---

    def balance(self, user_id: int, token: str) -> str:
        response = self.get(f"/users/{user_id}/wallet/balance", headers=bearer(token))
        assert response.status_code == 200, (response.status_code, response.text)
        value: str = response.json()["balance"]["balance"]
        return value

    def metric_counts(self, name: str, admin_token: str) -> dict[str, int]:
        response = self.get("/metrics", params={"name": name}, headers=bearer(admin_token))
        assert response.status_code == 200, (response.status_code, response.text)
        return {row["label"]: int(row["count"]) for row in response.json()}
