"""F9.8: the back office's five counters rise after the journeys that feed them. The events go
through outboxes, a Redis stream and an asynchronous consumer: poll with a deadline."""

from __future__ import annotations

import json
from typing import Any

from fiufit_e2e.api import Gateway, bearer, google_credential, poll, unique

COUNTERS = [
    "user_login_count",
    "user_created_count",
    "user_by_region_count",
    "user_blocked_count",
    "user_password_recovery_count",
]


def test_metrics_shape_and_unknown_name(gw: Gateway, admin_auth: dict[str, str]) -> None:
    for name in COUNTERS:
        response = gw.get("/metrics", params={"name": name}, headers=admin_auth)
        assert response.status_code == 200, (name, response.text)
        rows = response.json()
        assert isinstance(rows, list)
        assert all(set(row) >= {"label", "count"} for row in rows)
    unknown = gw.get("/metrics", params={"name": unique("no_such_metric_")}, headers=admin_auth)
    assert unknown.status_code == 200
    assert unknown.json() == []


def test_f9_the_five_counters_rise(
    gw: Gateway, admin_token: str, admin_auth: dict[str, str]
) -> None:
    def snapshot() -> dict[str, dict[str, int]]:
        return {name: gw.metric_counts(name, admin_token) for name in COUNTERS}

    before = snapshot()
    place = gw.get("/users/locations/").json()[20]
    # E-mail sign-up with a location, and a login.
    body = gw.sign_up(is_athlete=True, location=place, prefix="met_")
    session = gw.login(body["email"])
    # Google sign-up and login.
    handle = unique("metg_")
    email = f"{handle}@e2e.example.com"
    header = {"Authorization": google_credential(email)}
    google_body = Gateway.signup_body(email=email, username=handle, is_athlete=True, password="")
    assert gw.post("/users/usersIDP", json=google_body, headers=header).status_code in (200, 201)
    assert (
        gw.post("/users/login/usersIDP", json={"email": email}, headers=header).status_code == 200
    )
    # Block (counted) and unblock (not counted by user_blocked_count).
    assert gw.patch(f"/users/status/{session['id']}", headers=admin_auth).status_code in (200, 204)
    assert gw.patch(f"/users/status/{session['id']}", headers=admin_auth).status_code in (200, 204)
    # Password recovery with the bare-string body.
    recovery = gw.post(
        "/users/recovery/user_test",
        content=json.dumps(body["username"]),
        headers={"Content-Type": "application/json"},
    )
    assert 200 <= recovery.status_code < 300

    expected = {
        ("user_login_count", "using_email_password"): 1,
        ("user_login_count", "using_idp"): 1,
        ("user_created_count", "using_email_password"): 1,
        ("user_created_count", "using_idp"): 1,
        ("user_by_region_count", place["location"]): 1,
        ("user_blocked_count", "total"): 1,
        ("user_password_recovery_count", "total"): 1,
    }

    def risen(now: dict[str, dict[str, int]]) -> bool:
        return all(
            now[name].get(label, 0) - before[name].get(label, 0) >= delta
            for (name, label), delta in expected.items()
        )

    after = poll(snapshot, risen, timeout=60, interval=1.0, what="the five counters to rise")
    # The token re-login counts as an e-mail login too; a user token may not read metrics.
    assert after["user_login_count"]["using_email_password"] >= 1
    user_token = bearer(session["token"])
    poll(
        lambda: gw.get("/metrics", params={"name": "user_login_count"}, headers=user_token),
        lambda response: response.status_code in (401, 403),
        what="a user token to be refused by metrics",
    )


def test_other_services_publish_too(
    gw: Gateway, admin_token: str, training: dict[str, Any], goal: dict[str, Any]
) -> None:
    """Trainings and goals events reach the metrics store (names listed by /metrics/names/)."""

    def names() -> set[str]:
        response = gw.get("/metrics/names/", headers=bearer(admin_token))
        assert response.status_code == 200, response.text
        return {row["name"] for row in response.json()}

    poll(
        names,
        lambda found: {"user_login_count", "training_created_count", "goal_created_count"} <= found,
        timeout=60,
        interval=1.0,
        what="trainings and goals events in the metrics store",
    )
