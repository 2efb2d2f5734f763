"""Session fixtures: the gateway client, the bootstrap admin, and a cast of fresh users.

Every run signs up its own users with unique e-mails and usernames, so the suite passes again
against the same stack. Nothing here talks to a service directly: only the gateway."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fiufit_e2e.api import Account, Gateway, jitter, neighbourhoods, png


@pytest.fixture(scope="session")
def gw() -> Iterator[Gateway]:
    """The gateway, once every public service answers its health check through it (waits up to
    $FIUFIT_E2E_WAIT seconds, default 180, so the suite can start right after `make up`)."""
    gateway = Gateway()
    deadline = time.monotonic() + float(os.environ.get("FIUFIT_E2E_WAIT", "180"))
    pending = [f"/{prefix}/healthcheck/" for prefix in ("users", "trainings", "goals", "metrics")]
    last = ""
    while pending:
        try:
            response = gateway.http.get(pending[0])
            if response.status_code == 200:
                pending.pop(0)
                continue
            last = f"{pending[0]} answered {response.status_code}"
        except httpx.TransportError as error:
            last = f"{pending[0]}: {error!r}"
        if time.monotonic() > deadline:
            pytest.exit(f"the gateway {gateway.base_url} is not ready: {last}", returncode=2)
        time.sleep(1)
    yield gateway
    gateway.close()


@pytest.fixture(scope="session")
def admin_token(gw: Gateway) -> str:
    """The bootstrap admin (overlays/local.env), as the back office logs in (U23)."""
    return gw.admin_login()


@pytest.fixture(scope="session")
def admin_auth(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture(scope="session")
def places() -> list[dict[str, Any]]:
    return neighbourhoods()


@pytest.fixture(scope="session")
def trainer(gw: Gateway, places: list[dict[str, Any]]) -> Account:
    """A trainer registered with coordinates (F2): a neighbourhood's name, and a random point
    around it so that the nearby search finds this run's trainer first."""
    return gw.new_account(is_athlete=False, location=jitter(places[0]), image=png(), prefix="tr_")


@pytest.fixture(scope="session")
def other_trainer(gw: Gateway, places: list[dict[str, Any]]) -> Account:
    return gw.new_account(is_athlete=False, location=places[5], prefix="tr2_")


@pytest.fixture(scope="session")
def athlete(gw: Gateway, places: list[dict[str, Any]]) -> Account:
    return gw.new_account(is_athlete=True, location=places[1], prefix="ath_")


@pytest.fixture(scope="session")
def other_athlete(gw: Gateway) -> Account:
    return gw.new_account(is_athlete=True, prefix="ath2_")


@pytest.fixture(scope="session")
def training(gw: Gateway, trainer: Account) -> dict[str, Any]:
    """One training by `trainer`, created as the app does (T3)."""
    response = gw.post(
        "/trainings",
        headers=trainer.auth,
        json={
            "title": "Fixture arms",
            "description": "Curls and more curls",
            "type": "Arm",
            "difficulty": "Easy",
            "media": None,
            "exercises": [
                {"name": "Bicep curl", "type": "Arm", "unit": None, "count": 10, "series": 3}
            ],
            "trainer_id": str(trainer.id),
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="session")
def goal(gw: Gateway, athlete: Account) -> dict[str, Any]:
    import datetime as dt

    from fiufit_e2e.api import today

    response = gw.post(
        f"/goals/{athlete.id}",
        headers=athlete.auth,
        json={
            "title": "Steps",
            "description": "Walk a lot",
            "metric": "steps",
            "objective": "10000",
            "time_limit": (today() + dt.timedelta(days=5)).isoformat(),
            "image": None,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
