"""The negative matrix: every protected route without a token → 401 (both clients log out on
401), with a garbage token → 401, and with another user's (or a non-admin's) token → 403.
A refused write changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from fiufit_e2e.api import Account, Gateway, bearer, today

IN_TWO_DAYS = (today() + dt.timedelta(days=2)).isoformat()


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # format fields: a (athlete id), a2, t (trainer id), tid (training), gid (goal)
    body: Any = None
    # Who may not do it although logged in: "athlete2" (another user), "athlete" (wrong role),
    # "trainer2" (another trainer), or None when any valid token is enough.
    intruder: str | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = [
    # users: search and profiles (any token), admin-only listing
    Route("GET", "/users?username=nobody_e2e"),
    Route("GET", "/users?latitude=-34.6&longitude=-58.4&radius=1000"),
    Route("GET", "/users?offset=0&limit=10", intruder="athlete"),
    Route("GET", "/users/{a}"),
    Route("PATCH", "/users/{a}", {"name": "Intruder"}, intruder="athlete2"),
    Route("GET", "/users/{a}/followed"),
    Route("GET", "/users/{a}/followers"),
    Route("POST", "/users/{a}/followed/{t}", intruder="athlete2"),
    Route("DELETE", "/users/{a}/followed/{t}", intruder="athlete2"),
    # wallet and money
    Route("GET", "/users/{a}/wallet", intruder="athlete2"),
    Route("GET", "/users/{a}/wallet/balance", intruder="athlete2"),
    Route("PATCH", "/users/{a}/wallet/balance", {"amount": 1}, intruder="athlete"),
    Route(
        "POST",
        "/users/deposit",
        {"receiver_id": "{t}", "sender_id": "{a}", "amount": 0.001},
        intruder="athlete2",
    ),
    Route(
        "POST",
        "/users/extraction",
        {"receiver_address": "0x" + "11" * 20, "sender_id": "{a}", "amount": 0.001},
        intruder="athlete2",
    ),
    Route("GET", "/users/transactions?offset=0&limit=10", intruder="athlete"),
    # back office
    Route("PATCH", "/users/status/{a2}", intruder="athlete"),
    Route("GET", "/admins", intruder="athlete"),
    Route(
        "POST",
        "/admins",
        {"username": "intruder_admin", "email": "intruder@example.com", "password": "secret123"},
        intruder="athlete",
    ),
    Route("GET", "/metrics?name=user_login_count", intruder="athlete"),
    Route("GET", "/metrics/names/", intruder="athlete"),
    # trainings
    Route(
        "POST",
        "/trainings",
        {
            "title": "Intruder",
            "description": "Nope",
            "type": "Arm",
            "difficulty": "Easy",
            "media": None,
            "exercises": [],
            "trainer_id": "{t}",
        },
        intruder="athlete",
    ),
    Route("PATCH", "/trainings/{tid}", {"title": "Hijacked"}, intruder="trainer2"),
    Route("POST", "/users/{a}/trainings", {"training_id": "{tid}"}, intruder="athlete2"),
    Route("PUT", "/users/{a}/trainings/{tid}", {"rate": 1}, intruder="athlete2"),
    Route("DELETE", "/users/{a}/trainings/{tid}", intruder="athlete2"),
    # goals
    Route("GET", "/goals/metrics"),
    Route("GET", "/goals/{a}", intruder="athlete2"),
    Route(
        "POST",
        "/goals/{a}",
        {
            "title": "X",
            "description": "Y",
            "metric": "steps",
            "objective": "5",
            "time_limit": IN_TWO_DAYS,
            "image": None,
        },
        intruder="athlete2",
    ),
    Route("PATCH", "/goals/{gid}", {"progress": "9999"}, intruder="athlete2"),
    Route("DELETE", "/goals/{gid}", intruder="athlete2"),
    Route("GET", "/goals/{a}/metricsProgress/distance?days=7", intruder="athlete2"),
]


@pytest.fixture(scope="module")
def ids(
    trainer: Account,
    athlete: Account,
    other_athlete: Account,
    training: dict[str, Any],
    goal: dict[str, Any],
) -> dict[str, int]:
    return {
        "a": athlete.id,
        "a2": other_athlete.id,
        "t": trainer.id,
        "tid": training["id"],
        "gid": goal["id"],
    }


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _send(gw: Gateway, route: Route, ids: dict[str, int], headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if route.body is not None:
        kwargs["json"] = _fill(route.body, ids)
    return gw.request(route.method, _fill(route.path, ids), **kwargs)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_without_a_token_is_401(gw: Gateway, ids: dict[str, int], route: Route) -> None:
    response = _send(gw, route, ids, {})
    assert response.status_code == 401, (route.id, response.status_code, response.text)
    assert "detail" in response.json()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_with_a_garbage_token_is_401(gw: Gateway, ids: dict[str, int], route: Route) -> None:
    response = _send(gw, route, ids, bearer("garbage.token.here"))
    assert response.status_code == 401, (route.id, response.status_code, response.text)


def _intruders(
    athlete: Account, other_athlete: Account, trainer: Account, other_trainer: Account
) -> dict[str, Account]:
    return {
        "athlete": athlete,
        "athlete2": other_athlete,
        "trainer": trainer,
        "trainer2": other_trainer,
    }


@pytest.mark.parametrize("route", [r for r in ROUTES if r.intruder], ids=lambda r: r.id)
def test_with_another_users_token_is_403(
    gw: Gateway,
    ids: dict[str, int],
    route: Route,
    athlete: Account,
    other_athlete: Account,
    trainer: Account,
    other_trainer: Account,
) -> None:
    who = _intruders(athlete, other_athlete, trainer, other_trainer)[route.intruder or ""]
    response = _send(gw, route, ids, who.auth)
    assert response.status_code == 403, (route.id, response.status_code, response.text)
    assert "detail" in response.json()


def test_refused_writes_changed_nothing(
    gw: Gateway,
    ids: dict[str, int],
    athlete: Account,
    other_athlete: Account,
    trainer: Account,
    other_trainer: Account,
    admin_auth: dict[str, str],
) -> None:
    """Every write of the matrix, refused without a token, with a garbage one and with the
    intruder's, sent here (the test stands alone): the targets are as they were."""
    intruders = _intruders(athlete, other_athlete, trainer, other_trainer)
    for route in (r for r in ROUTES if r.method != "GET"):
        attempts = [{}, bearer("garbage.token.here")]
        if route.intruder:
            attempts.append(intruders[route.intruder].auth)
        for headers in attempts:
            refused = _send(gw, route, ids, headers)
            assert refused.status_code in (401, 403), (route.id, refused.status_code, refused.text)
    me = gw.get(f"/users/{athlete.id}", headers=athlete.auth).json()
    assert me["name"] != "Intruder"
    assert me["is_blocked"] is False
    training = gw.get(f"/trainings/{ids['tid']}").json()
    assert training["title"] != "Hijacked"
    assert training["blocked"] is False
    goals = gw.get(f"/goals/{athlete.id}", headers=athlete.auth).json()
    assert all(g["progress"] != 9999 for g in goals)
    assert ids["gid"] in [g["id"] for g in goals]
    other = gw.get(f"/users/{ids['a2']}", headers=admin_auth).json()
    assert other["is_blocked"] is False
    admins = gw.get("/admins", headers=admin_auth).json()
    assert "intruder@example.com" not in [a["email"] for a in admins]


def test_a_trainer_cannot_block_their_own_training(
    gw: Gateway, trainer: Account, ids: dict[str, int]
) -> None:
    """Only an admin may change `blocked`: the trainer's attempt is refused or ignored."""
    response = gw.patch(f"/trainings/{ids['tid']}", headers=trainer.auth, json={"blocked": True})
    assert response.status_code in (200, 403), response.text
    assert gw.get(f"/trainings/{ids['tid']}").json()["blocked"] is False
