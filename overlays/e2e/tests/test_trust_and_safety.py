"""Trust and safety through the gateway: a user deletes their account and is gone everywhere;
an export holds every service's part; a report resolved with a suspension refuses the user
until the suspension runs out, then accepts them again; a reported training is blocked from
the queue; the audit log shows each admin step.

The suspension's end is moved into the past in the users database (the clock moving on): a
suspension lasts at least a day. `FIUFIT_USERS_SQL_COMMAND` is the command that runs SQL from
stdin against that database (the compose run sets one that goes through `docker compose
exec`); by default the local stack's psql."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
from functools import partial
from typing import Any

from fiufit_e2e.api import Account, Gateway, bearer, poll, today

LOCAL_USERS_SQL = "psql -v ON_ERROR_STOP=1 -q postgresql://postgres@127.0.0.1:5432/users"


def users_sql(statement: str) -> None:
    command = shlex.split(os.environ.get("FIUFIT_USERS_SQL_COMMAND", LOCAL_USERS_SQL))
    subprocess.run(command, input=statement.encode(), check=True, capture_output=True)


def a_training(gw: Gateway, trainer: Account, title: str) -> dict[str, Any]:
    made = gw.post(
        "/trainings",
        headers=trainer.auth,
        json={
            "title": title,
            "description": "Squats",
            "type": "Leg",
            "difficulty": "Easy",
            "media": None,
            "exercises": [{"name": "Squat", "type": "Leg", "unit": None, "count": 10, "series": 3}],
            "trainer_id": str(trainer.id),
        },
    )
    assert made.status_code == 201, made.text
    training: dict[str, Any] = made.json()
    return training


def a_goal_with_progress(gw: Gateway, user: Account) -> dict[str, Any]:
    made = gw.post(
        f"/goals/{user.id}",
        headers=user.auth,
        json={
            "title": "Walk",
            "description": "Walk a lot",
            "metric": "steps",
            "objective": "1000",
            "time_limit": (today() + dt.timedelta(days=30)).isoformat(),
            "image": None,
        },
    )
    assert made.status_code == 201, made.text
    goal: dict[str, Any] = made.json()
    card = {**goal, "progress": 250, "time_limit": ""}
    moved = gw.patch(f"/goals/{goal['id']}", headers=user.auth, json=card)
    assert moved.status_code == 200, moved.text
    return goal


def athlete_with_data(gw: Gateway, trainer: Account, training: dict[str, Any]) -> Account:
    """An athlete who follows the trainer, favourites and rates the training, and has a goal
    with progress: data in users, trainings and goals."""
    athlete = gw.new_account(is_athlete=True, prefix="tns_")
    followed = gw.post(f"/users/{athlete.id}/followed/{trainer.id}", headers=athlete.auth)
    assert followed.status_code in (200, 201), followed.text
    path = f"/users/{athlete.id}/trainings"
    assert gw.post(
        f"{path}/", headers=athlete.auth, json={"training_id": training["id"]}
    ).is_success
    assert gw.put(f"{path}/{training['id']}", headers=athlete.auth, json={"rate": 5}).is_success
    a_goal_with_progress(gw, athlete)
    return athlete


def delete_account(gw: Gateway, user_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """DELETE /users/{id}, asked again while payment answers that a movement of the wallet (its
    gas grant at sign-up) is still in flight, as a client would."""
    response = poll(
        lambda: gw.delete(f"/users/{user_id}", headers=headers),
        lambda answer: not (answer.status_code == 409 and "in flight" in answer.text),
        timeout=60,
        what=f"the wallet of user {user_id} to settle",
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def deletion_completed(gw: Gateway, admin_auth: dict[str, str], user_id: int) -> dict[str, Any]:
    shown: dict[str, Any] = poll(
        lambda: gw.get(f"/admins/deletions/{user_id}", headers=admin_auth).json(),
        lambda body: body.get("completed_at") is not None,
        timeout=60,
        what=f"the deletion of user {user_id} to complete",
    )
    return shown


def audit_actions(gw: Gateway, admin_auth: dict[str, str], **filters: Any) -> list[str]:
    page = gw.get("/admins/audit", params={"limit": 100, **filters}, headers=admin_auth)
    assert page.status_code == 200, page.text
    assert page.json()["unavailable"] == []
    return [entry["action"] for entry in reversed(page.json()["items"])]


def test_t1_a_deleted_account_is_gone_everywhere(gw: Gateway, admin_auth: dict[str, str]) -> None:
    trainer = gw.new_account(is_athlete=False, prefix="tnsT_")
    training = a_training(gw, trainer, "Deletion legs")
    athlete = athlete_with_data(gw, trainer, training)
    assert gw.get(f"/trainings/{training['id']}").json()["rating"] == 5

    assert delete_account(gw, athlete.id, athlete.auth)["requested_by"] is None
    assert deletion_completed(gw, admin_auth, athlete.id)["pending"] == []

    # The account: no login, no profile, the old token refused by every service.
    login = gw.post("/users/login", json={"email": athlete.email, "password": athlete.password})
    assert login.status_code == 401, login.text
    assert gw.get(f"/users/{athlete.id}", headers=admin_auth).status_code == 404
    checks = {
        "users": lambda: gw.get(f"/users/{trainer.id}", headers=athlete.auth),
        "goals": lambda: gw.get(f"/goals/{athlete.id}", headers=athlete.auth),
        "trainings": lambda: gw.post(
            f"/users/{athlete.id}/trainings/",
            headers=athlete.auth,
            json={"training_id": training["id"]},
        ),
    }
    for name, call in checks.items():
        poll(
            lambda call=call: call().status_code,  # type: ignore[misc]
            lambda status: status == 401,
            timeout=30,
            what=f"{name} to refuse the deleted user's token",
        )
    # Its data: the follow, the favourite, the rating (the average recomputed), the goals.
    followers = gw.get(f"/users/{trainer.id}/followers", headers=trainer.auth).json()
    assert athlete.id not in [f["id"] for f in followers]
    assert gw.get(f"/users/{athlete.id}/trainings/").json()["items"] == []
    assert gw.get(f"/users/{athlete.id}/trainings/{training['id']}/rating").status_code == 404
    assert gw.get(f"/trainings/{training['id']}").json()["rating"] == 0
    assert gw.get(f"/goals/{athlete.id}", headers=admin_auth).json() == []
    # A self-deletion is no admin's action: the audit log has nothing on it.
    assert audit_actions(gw, admin_auth, target_type="user", target_id=athlete.id) == []

    # An admin deletes the trainer: their training goes with them, and the log says who did it.
    assert delete_account(gw, trainer.id, admin_auth)["requested_by"] is not None
    deletion_completed(gw, admin_auth, trainer.id)
    assert gw.get(f"/trainings/{training['id']}").status_code == 404
    assert audit_actions(gw, admin_auth, target_type="user", target_id=trainer.id) == [
        "user_deleted"
    ]


def test_t2_a_wallet_with_money_refuses_the_deletion(
    gw: Gateway, admin_auth: dict[str, str]
) -> None:
    user = gw.new_account(is_athlete=True, prefix="tnsW_")
    topped = gw.patch(
        f"/users/{user.id}/wallet/balance",
        json={"amount": "0.01"},
        headers={**admin_auth, "Idempotency-Key": f"tns-{user.id}"},
    )
    assert topped.status_code in (200, 201), topped.text
    poll(
        lambda: float(gw.balance(user.id, user.token)),
        lambda balance: balance > 0,
        timeout=60,
        what="the top-up to land",
    )
    refused = gw.delete(f"/users/{user.id}", headers=user.auth)
    assert refused.status_code == 409, refused.text
    assert "withdraw" in refused.json()["detail"].lower()
    assert gw.get(f"/users/{user.id}", headers=user.auth).status_code == 200
    assert audit_actions(gw, admin_auth, target_type="user", target_id=user.id) == [
        "wallet_topped_up"
    ]


def test_t3_the_export_holds_every_service_s_part(gw: Gateway) -> None:
    trainer = gw.new_account(is_athlete=False, prefix="tnsE_")
    training = a_training(gw, trainer, "Export legs")
    athlete = athlete_with_data(gw, trainer, training)
    assert gw.get(f"/users/{athlete.id}/wallet", headers=athlete.auth).status_code == 200

    answer = gw.get(f"/users/{athlete.id}/export", headers=athlete.auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["profile"]["email"] == athlete.email  # users
    assert body["followed"] == [{"id": trainer.id, "username": trainer.username}]
    part = body["trainings"]  # trainings
    assert [f["training_id"] for f in part["favourites"]] == [training["id"]]
    assert [(r["training_id"], r["rate"]) for r in part["ratings"]] == [(training["id"], 5)]
    [goal] = body["goals"]["goals"]  # goals
    assert goal["title"] == "Walk" and goal["progress"]
    assert body["wallet"]["address"].startswith("0x")  # payment
    assert body["truncated"] is False
    # Only the user themself.
    assert gw.get(f"/users/{athlete.id}/export", headers=trainer.auth).status_code == 403
    authored = gw.get(f"/users/{trainer.id}/export", headers=trainer.auth).json()
    assert [t["id"] for t in authored["trainings"]["trainings"]] == [training["id"]]


def test_t4_a_suspension_refuses_the_user_until_it_runs_out(
    gw: Gateway, admin_auth: dict[str, str]
) -> None:
    target = gw.new_account(is_athlete=True, prefix="tnsS_")
    reporter = gw.new_account(is_athlete=True, prefix="tnsR_")
    made = gw.post(
        f"/users/{target.id}/reports", json={"reason": "harassment"}, headers=reporter.auth
    )
    assert made.status_code == 201, made.text
    suspended = gw.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "suspend", "days": 1, "note": "a day off"},
        headers=admin_auth,
    )
    assert suspended.status_code == 200, suspended.text

    for path in (f"/users/{target.id}", f"/goals/{target.id}"):
        poll(
            partial(lambda p: gw.get(p, headers=target.auth).status_code, path),
            lambda status: status == 401,
            timeout=30,
            what=f"{path} to refuse the suspended user",
        )
    login = gw.post("/users/login", json={"email": target.email, "password": target.password})
    assert login.status_code == 401, login.text
    queue = gw.get(
        "/admins/reports", params={"status": "resolved", "limit": 100}, headers=admin_auth
    )
    [shown] = [q for q in queue.json()["items"] if q["report"]["id"] == made.json()["id"]]
    assert shown["target"]["is_blocked"] and shown["target"]["suspended_until"]

    # The day goes by.
    users_sql(
        "UPDATE users SET suspended_until = now() - interval '1 second'"
        f" WHERE id = {int(target.id)};"
    )
    session = poll(
        lambda: gw.post("/users/login", json={"email": target.email, "password": target.password}),
        lambda response: response.status_code == 200,
        timeout=60,
        what="the user to log in once the suspension ran out",
    )
    fresh = bearer(session.json()["token"])
    for path in (f"/users/{target.id}", f"/goals/{target.id}"):
        poll(
            partial(lambda p: gw.get(p, headers=fresh).status_code, path),
            lambda status: status == 200,
            timeout=30,
            what=f"{path} to accept the user again",
        )
    assert audit_actions(gw, admin_auth, target_type="user", target_id=target.id) == [
        "user_suspended",
        "suspension_expired",
    ]
    resolutions = gw.get(
        "/admins/audit",
        params={"action": "report_resolved", "target_id": made.json()["id"]},
        headers=admin_auth,
    ).json()["items"]
    assert [(e["after"]["outcome"], e["after"]["days"]) for e in resolutions] == [("suspend", 1)]


def test_t5_a_reported_training_is_blocked_from_the_queue(
    gw: Gateway, admin_auth: dict[str, str]
) -> None:
    trainer = gw.new_account(is_athlete=False, prefix="tnsB_")
    training = a_training(gw, trainer, "Reported legs")
    reporter = gw.new_account(is_athlete=True, prefix="tnsQ_")
    made = gw.post(
        f"/trainings/{training['id']}/reports",
        json={"reason": "inappropriate_content", "details": "not a workout"},
        headers=reporter.auth,
    )
    assert made.status_code == 201, made.text
    own = gw.post(
        f"/trainings/{training['id']}/reports", json={"reason": "spam"}, headers=trainer.auth
    )
    assert own.status_code == 400, own.text
    queue = gw.get(
        "/admins/reports", params={"target_type": "training", "limit": 100}, headers=admin_auth
    )
    [shown] = [q for q in queue.json()["items"] if q["report"]["id"] == made.json()["id"]]
    assert shown["target"] == {
        "type": "training",
        "id": training["id"],
        "title": "Reported legs",
        "trainer_id": trainer.id,
        "blocked": False,
    }
    blocked = gw.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "block_training", "note": "off-topic"},
        headers=admin_auth,
    )
    assert blocked.status_code == 200, blocked.text
    assert gw.get(f"/trainings/{training['id']}", headers=admin_auth).json()["blocked"] is True
    assert audit_actions(gw, admin_auth, target_type="training", target_id=training["id"]) == [
        "training_blocked"
    ]
    entries = gw.get("/admins/audit", params={"limit": 20}, headers=admin_auth).json()["items"]
    sources = {(e["source"], e["action"]) for e in entries}
    assert {("trainings", "training_blocked"), ("users", "report_resolved")} <= sources
