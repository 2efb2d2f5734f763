"""F9: the back-office session. Paged users, block and unblock (the blocked user's old token
refused by users, trainings and goals, every login path refused, both steps in the audit log),
admins (the creation in the audit log), trainings list and training blocking. The metric
counters are in test_metrics.py, health checks in test_gateway.py."""

from __future__ import annotations

import base64
import datetime as dt
import json
from functools import partial
from typing import Any

from fiufit_e2e.api import Account, Gateway, bearer, google_credential, poll, today, unique

USER_FIELDS = {
    "id",
    "username",
    "name",
    "surname",
    "email",
    "registration_date",
    "location",
    "is_athlete",
    "is_blocked",
    "birth_date",
    "weight",
    "height",
}


def test_f9_admin_login_shape(gw: Gateway, admin_token: str) -> None:
    response = gw.post(
        "/admins/login",
        json={"email": "nobody-admin@example.com", "password": "wrong-password"},
    )
    assert response.status_code == 401
    assert admin_token.count(".") == 2


def test_f9_paged_users(gw: Gateway, admin_auth: dict[str, str]) -> None:
    first = gw.get("/users", params={"offset": 0, "limit": 10}, headers=admin_auth)
    assert first.status_code == 200, first.text
    page = first.json()
    assert set(page) >= {"items", "total", "page", "size", "pages"}
    # Make sure there is a second page.
    for _ in range(max(0, 11 - int(page["total"]))):
        gw.sign_up(is_athlete=True, prefix="pg_")
    first = gw.get("/users", params={"offset": 0, "limit": 10}, headers=admin_auth).json()
    assert len(first["items"]) == 10
    assert all(set(user) >= USER_FIELDS for user in first["items"])
    second = gw.get("/users", params={"offset": 10, "limit": 10}, headers=admin_auth)
    assert second.status_code == 200
    assert second.json()["total"] == first["total"]
    assert second.json()["items"]
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second.json()["items"]}
    for rows in (5, 25):
        sized = gw.get("/users", params={"offset": 0, "limit": rows}, headers=admin_auth).json()
        assert len(sized["items"]) == min(rows, sized["total"])


def test_f9_block_and_unblock(
    gw: Gateway, admin_auth: dict[str, str], trainer: Account, training: dict[str, Any]
) -> None:
    victim = gw.new_account(is_athlete=True, prefix="blk_")
    auth = victim.auth
    # The victim is active everywhere.
    assert gw.get(f"/users/{victim.id}", headers=auth).status_code == 200
    assert gw.get(f"/goals/{victim.id}", headers=auth).status_code == 200
    # Block: the back office needs a JSON body (or 204).
    blocked = gw.patch(f"/users/status/{victim.id}", headers=admin_auth)
    assert blocked.status_code in (200, 204), blocked.text
    if blocked.status_code == 200:
        blocked.json()
    listed = gw.get("/users", params={"username": victim.username}, headers=admin_auth).json()
    assert listed["is_blocked"] is True
    # The old token is refused by users, trainings and goals, within seconds.
    goal_body = {
        "title": "Blocked",
        "description": "Nope",
        "metric": "steps",
        "objective": "3",
        "time_limit": (today() + dt.timedelta(days=1)).isoformat(),
        "image": None,
    }
    checks = {
        "users": lambda: gw.get(f"/users/{victim.id}", headers=auth),
        "users search": lambda: gw.get(
            "/users", params={"username": trainer.username}, headers=auth
        ),
        "goals": lambda: gw.get(f"/goals/{victim.id}", headers=auth),
        "goals write": lambda: gw.post(f"/goals/{victim.id}", headers=auth, json=goal_body),
        "goals metrics": lambda: gw.get("/goals/metrics", headers=auth),
        "trainings": lambda: gw.post(
            f"/users/{victim.id}/trainings", headers=auth, json={"training_id": training["id"]}
        ),
    }
    for name, call in checks.items():
        poll(
            lambda call=call: call().status_code,  # type: ignore[misc]
            lambda status: status == 401,
            timeout=30,
            what=f"{name} to refuse the blocked user's token",
        )
    # Every login path refuses: e-mail, token re-login.
    login = gw.post("/users/login", json={"email": victim.email, "password": victim.password})
    assert login.status_code == 401, login.text
    assert "blocked" in json.dumps(login.json()).lower()
    relogin = gw.post("/users/login", headers=auth, json={})
    assert relogin.status_code == 401, relogin.text
    # Unblock: login works again, and the old token with it.
    unblocked = gw.patch(f"/users/status/{victim.id}", headers=admin_auth)
    assert unblocked.status_code in (200, 204), unblocked.text
    assert gw.get(f"/users/{victim.id}", headers=admin_auth).json()["is_blocked"] is False
    login = gw.post("/users/login", json={"email": victim.email, "password": victim.password})
    assert login.status_code == 200, login.text
    fresh = bearer(login.json()["token"])

    # Every service (users included) caches the blocked set for a couple of seconds: the
    # unblock reaches them within seconds, for the fresh token and the old one alike.
    def status_of(path: str, headers: dict[str, str]) -> int:
        return gw.get(path, headers=headers).status_code

    for path in (f"/users/{victim.id}", f"/goals/{victim.id}"):
        for headers in (fresh, auth):
            poll(
                partial(status_of, path, headers),
                lambda status: status == 200,
                timeout=30,
                what=f"{path} to accept the unblocked user's tokens again",
            )
    poll(
        lambda: (
            gw.post(
                f"/users/{victim.id}/trainings",
                headers=fresh,
                json={"training_id": training["id"]},
            ).status_code
        ),
        lambda status: status in (200, 201, 204, 409),
        timeout=30,
        what="trainings to accept the unblocked user",
    )
    # The audit log shows both steps, newest first, with the acting admin and the values.
    audit = gw.get(
        "/admins/audit",
        params={"target_type": "user", "target_id": victim.id},
        headers=admin_auth,
    )
    assert audit.status_code == 200, audit.text
    steps = [(e["action"], e["before"], e["after"]) for e in audit.json()["items"]]
    assert steps == [
        ("user_unblocked", {"is_blocked": True}, {"is_blocked": False}),
        ("user_blocked", {"is_blocked": False}, {"is_blocked": True}),
    ]
    claims = admin_auth["Authorization"].split(".")[1]
    admin_id = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["id"]
    assert {e["actor_id"] for e in audit.json()["items"]} == {admin_id}
    # Only admins read it.
    assert gw.get("/admins/audit", headers=fresh).status_code == 403
    assert gw.get("/admins/audit").status_code == 401


def test_f9_blocked_google_user_cannot_sign_in(gw: Gateway, admin_auth: dict[str, str]) -> None:
    handle = unique("gb_")
    email = f"{handle}@e2e.example.com"
    header = {"Authorization": google_credential(email)}
    body = Gateway.signup_body(email=email, username=handle, is_athlete=False, password="")
    assert gw.post("/users/usersIDP", json=body, headers=header).status_code in (200, 201)
    session = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
    assert session.status_code == 200, session.text
    uid = session.json()["id"]
    assert gw.patch(f"/users/status/{uid}", headers=admin_auth).status_code in (200, 204)
    try:
        refused = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
        assert refused.status_code == 401, refused.text
    finally:
        gw.patch(f"/users/status/{uid}", headers=admin_auth)
    again = gw.post("/users/login/usersIDP", json={"email": email}, headers=header)
    assert again.status_code == 200, again.text


def test_f9_admins(gw: Gateway, admin_auth: dict[str, str]) -> None:
    admins = gw.get("/admins", headers=admin_auth)
    assert admins.status_code == 200, admins.text
    assert isinstance(admins.json(), list)
    assert all(set(a) >= {"id", "username", "email"} for a in admins.json())
    handle = unique("adm_")
    body = {"username": handle, "email": f"{handle}@e2e.example.com", "password": "admin-pass-1"}
    created = gw.post("/admins", json=body, headers=admin_auth)
    assert created.status_code in (200, 201), created.text
    admin = created.json()
    assert set(admin) >= {"id", "username", "email"}
    assert admin["email"] == body["email"]
    assert "password" not in admin
    listed = gw.get("/admins", headers=admin_auth).json()
    assert admin["id"] in [a["id"] for a in listed]
    twice = gw.post("/admins", json=body, headers=admin_auth)
    assert twice.status_code == 409, twice.text
    token = gw.admin_login(body["email"], body["password"])
    assert gw.get("/admins", headers=bearer(token)).status_code == 200
    created_entries = gw.get(
        "/admins/audit",
        params={"action": "admin_created", "target_type": "admin", "target_id": admin["id"]},
        headers=admin_auth,
    ).json()["items"]
    assert [e["after"] for e in created_entries] == [
        {"username": body["username"], "email": body["email"]}
    ]
    # A user's credentials are not an admin's.
    assert (
        gw.post(
            "/admins/login", json={"email": body["email"], "password": "wrong-password"}
        ).status_code
        == 401
    )


def test_f9_trainings_list_and_blocking(
    gw: Gateway, admin_auth: dict[str, str], trainer: Account, athlete: Account
) -> None:
    created = gw.post(
        "/trainings",
        headers=trainer.auth,
        json={
            "title": "To be blocked",
            "description": "Moderation target",
            "type": "Chest",
            "difficulty": "Hard",
            "media": None,
            "exercises": [
                {"name": "Push up", "type": "Chest", "unit": None, "count": "20", "series": "3"}
            ],
            "trainer_id": str(trainer.id),
        },
    )
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    assert gw.get("/trainings/types/").status_code == 200
    page = gw.get("/trainings", params={"offset": 0, "limit": 10})
    assert page.status_code == 200
    assert set(page.json()) >= {"items", "offset", "limit", "count"}
    assert page.json()["count"] >= 1
    filtered = gw.get(
        "/trainings",
        params={"training_type": "Chest", "difficulty": "Hard", "offset": 0, "limit": 10},
    ).json()
    assert tid in [t["id"] for t in filtered["items"]]
    assert all(t["type"] == "Chest" and t["difficulty"] == "Hard" for t in filtered["items"])
    # The back office's glued query string must not break anything.
    glued = gw.get(f"/trainings?trainer_id={trainer.id}training_type=Chest&offset=0&limit=10")
    assert glued.status_code in (200, 400), glued.text
    # An athlete favourites it before the block.
    fav = gw.post(f"/users/{athlete.id}/trainings", headers=athlete.auth, json={"training_id": tid})
    assert 200 <= fav.status_code < 300, fav.text
    # Block: still listed, with blocked true, for the back office and in favourites.
    blocked = gw.patch(f"/trainings/{tid}", headers=admin_auth, json={"blocked": True})
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["blocked"] is True
    listed = gw.get("/trainings", params={"trainer_id": trainer.id, "limit": 100}).json()
    assert {t["id"]: t["blocked"] for t in listed["items"]}[tid] is True
    favourites = gw.get(f"/users/{athlete.id}/trainings", params={"limit": 100}).json()
    assert {t["id"]: t["blocked"] for t in favourites["items"]}[tid] is True
    hidden = gw.get(
        "/trainings", params={"trainer_id": trainer.id, "blocked": "false", "limit": 100}
    ).json()
    assert tid not in [t["id"] for t in hidden["items"]]
    # The trainer cannot unblock it; the admin can.
    trainer_try = gw.patch(f"/trainings/{tid}", headers=trainer.auth, json={"blocked": False})
    assert trainer_try.status_code in (200, 403)
    assert gw.get(f"/trainings/{tid}").json()["blocked"] is True
    unblocked = gw.patch(f"/trainings/{tid}", headers=admin_auth, json={"blocked": False})
    assert unblocked.status_code == 200
    assert gw.get(f"/trainings/{tid}").json()["blocked"] is False
    gw.delete(f"/users/{athlete.id}/trainings/{tid}", headers=athlete.auth)


def test_f9_admin_reads_a_users_goals_and_balance(
    gw: Gateway, admin_auth: dict[str, str], athlete: Account, goal: dict[str, Any]
) -> None:
    goals = gw.get(f"/goals/{athlete.id}", headers=admin_auth)
    assert goals.status_code == 200, goals.text
    assert goal["id"] in [g["id"] for g in goals.json()]
    balance = gw.get(f"/users/{athlete.id}/wallet/balance", headers=admin_auth)
    assert balance.status_code == 200, balance.text
    assert isinstance(balance.json()["balance"]["balance"], str)


def test_f9_report_warn_and_block(gw: Gateway, admin_auth: dict[str, str]) -> None:
    """An athlete reports a trainer twice over (two reporters), the back office resolves the
    queue with a warning the trainer reads, then a new report with a block that every service
    honours; the audit log shows each resolution."""
    trainer = gw.new_account(is_athlete=False, prefix="rep_")
    reporters = [gw.new_account(is_athlete=True, prefix="rpt_") for _ in range(2)]
    made = []
    for reporter in reporters:
        response = gw.post(
            f"/users/{trainer.id}/reports",
            json={"reason": "harassment", "details": "rude in comments"},
            headers=reporter.auth,
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    queue = gw.get("/admins/reports", params={"limit": 100}, headers=admin_auth)
    assert queue.status_code == 200, queue.text
    mine = [q for q in queue.json()["items"] if q["report"]["id"] in made]
    assert [q["open_reports"] for q in mine] == [2, 2]
    assert mine[0]["target"] == {
        "type": "user",
        "id": trainer.id,
        "username": trainer.username,
        "is_blocked": False,
        "suspended_until": None,
    }
    warned = gw.patch(
        f"/admins/reports/{made[0]}", json={"action": "warn", "note": "Be kind"}, headers=admin_auth
    )
    assert warned.status_code == 200, warned.text
    assert warned.json()["closed"] == made
    warnings = gw.get(f"/users/{trainer.id}/warnings", headers=trainer.auth)
    assert [w["note"] for w in warnings.json()] == ["Be kind"]

    again = gw.post(
        f"/users/{trainer.id}/reports", json={"reason": "spam"}, headers=reporters[0].auth
    )
    assert again.status_code == 201, again.text
    blocked = gw.patch(
        f"/admins/reports/{again.json()['id']}", json={"action": "block"}, headers=admin_auth
    )
    assert blocked.status_code == 200, blocked.text

    def status_of(path: str) -> int:
        return gw.get(path, headers=trainer.auth).status_code

    for path in (f"/users/{trainer.id}", f"/goals/{trainer.id}"):
        poll(
            partial(status_of, path),
            lambda status: status == 401,
            timeout=30,
            what=f"{path} to refuse the blocked trainer",
        )
    login = gw.post("/users/login", json={"email": trainer.email, "password": trainer.password})
    assert login.status_code == 401, login.text
    audit = gw.get(
        "/admins/audit", params={"action": "report_resolved", "limit": 100}, headers=admin_auth
    ).json()["items"]
    outcomes = {e["target_id"]: e["after"]["outcome"] for e in audit}
    assert outcomes[made[0]] == "warn" and outcomes[again.json()["id"]] == "block"
    assert gw.patch(f"/users/status/{trainer.id}", headers=admin_auth).status_code == 200
