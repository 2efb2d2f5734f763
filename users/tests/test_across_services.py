"""What users does with the real trainings and goals services (the `siblings` fixture): a deletion
reaches both, and one asked while they are down completes once they are back; the export
gathers every service's part; reports on trainings and `block_training`; the audit log read
across the three services' logs."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.helpers import (
    SERVICE_TOKEN,
    Client,
    bearer,
    eventually,
    sign_up,
    token,
)
from tests.siblings import Sibling

INTERNAL = {"X-Service-Token": SERVICE_TOKEN}


@pytest.fixture
async def sibling_http(siblings: dict[str, Sibling]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients = {
        name: httpx.AsyncClient(base_url=sibling.url, timeout=30)
        for name, sibling in siblings.items()
    }
    yield clients
    for each in clients.values():
        await each.aclose()


async def a_training(trainings: httpx.AsyncClient, trainer_id: int, headers: dict[str, str]) -> Any:
    body = {
        "title": "Arm day",
        "description": "Curls and dips",
        "type": "Arm",
        "difficulty": "Easy",
        "media": None,
        "exercises": [
            {"name": "Bicep curl", "type": "Arm", "unit": None, "count": 10, "series": 3}
        ],
        "trainer_id": str(trainer_id),
    }
    made = await trainings.post("/trainings", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def a_goal(goals: httpx.AsyncClient, user_id: int, headers: dict[str, str]) -> Any:
    body = {
        "title": "Run",
        "description": "Run 10k",
        "metric": "distance",
        "objective": "10",
        "time_limit": "2030-01-01",
        "image": None,
    }
    made = await goals.post(f"/goals/{user_id}", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def exported(sibling: httpx.AsyncClient, user_id: int) -> Any:
    answer = await sibling.get(f"/internal/users/{user_id}/export", headers=INTERNAL)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_deletion_asked_while_trainings_and_goals_are_down_completes_when_they_return(
    client: Client,
    admin_headers: dict[str, str],
    http: httpx.AsyncClient,
    siblings: dict[str, Sibling],
    sibling_http: dict[str, httpx.AsyncClient],
) -> None:
    user = await sign_up(client, is_athlete=False)
    headers = bearer(await token(http, "user", user["id"], False))
    training = await a_training(sibling_http["trainings"], user["id"], headers)
    await a_goal(sibling_http["goals"], user["id"], headers)
    assert (await exported(sibling_http["goals"], user["id"]))["goals"]

    for sibling in siblings.values():
        sibling.stop()
    try:
        deleted = await client.delete(f"/users/{user['id']}", headers=headers)
        assert deleted.status_code == 202, deleted.text

        async def retried_while_down() -> bool:
            shown = await client.get(f"/admins/deletions/{user['id']}", headers=admin_headers)
            body = shown.json()
            return sorted(body["pending"]) == ["goals", "trainings"] and body["attempts"] >= 2

        await eventually(retried_while_down, "the deletion to be retried while both are down")
    finally:
        await asyncio.gather(*(sibling.start() for sibling in siblings.values()))

    async def completed() -> bool:
        shown = await client.get(f"/admins/deletions/{user['id']}", headers=admin_headers)
        return shown.json()["completed_at"] is not None

    await eventually(completed, "the deletion to complete once trainings and goals are back")
    shown = (await client.get(f"/admins/deletions/{user['id']}", headers=admin_headers)).json()
    assert shown["pending"] == []
    gone = await sibling_http["trainings"].get(
        "/internal/trainings", params={"ids": str(training["id"])}, headers=INTERNAL
    )
    assert gone.json() == []
    assert (await exported(sibling_http["trainings"], user["id"]))["trainings"] == []
    assert (await exported(sibling_http["goals"], user["id"]))["goals"] == []


async def test_the_export_holds_every_service_s_part(
    client: Client,
    make_actor: Any,
    http: httpx.AsyncClient,
    sibling_http: dict[str, httpx.AsyncClient],
) -> None:
    user = await sign_up(client, is_athlete=False)
    headers = bearer(await token(http, "user", user["id"], False))
    fan = await make_actor()
    followed = await client.post(f"/users/{fan.id}/followed/{user['id']}", headers=fan.headers)
    assert followed.status_code in (200, 201), followed.text
    training = await a_training(sibling_http["trainings"], user["id"], headers)
    goal = await a_goal(sibling_http["goals"], user["id"], headers)

    answer = await client.get(f"/users/{user['id']}/export", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["profile"]["id"] == user["id"] and body["profile"]["email"] == user["email"]
    assert body["followers"] == [{"id": fan.id, "username": fan.user.username}]
    assert body["followed"] == []
    assert [t["id"] for t in body["trainings"]["trainings"]] == [training["id"]]
    assert [g["id"] for g in body["goals"]["goals"]] == [goal["id"]]
    assert body["wallet"]["address"].startswith("0x")
    assert body["truncated"] is False
    # Only the user themself; another user and an admin are refused.
    assert (await client.get(f"/users/{user['id']}/export", headers=fan.headers)).status_code == 403
    assert (await client.get(f"/users/{user['id']}/export")).status_code == 401


async def test_an_export_while_a_service_is_down_is_refused_not_partial(
    client: Client, make_actor: Any, siblings: dict[str, Sibling]
) -> None:
    actor = await make_actor()
    siblings["goals"].stop()
    try:
        answer = await client.get(f"/users/{actor.id}/export", headers=actor.headers)
        assert answer.status_code == 503, answer.text
        assert "goals" in answer.json()["detail"]
    finally:
        await siblings["goals"].start()


async def report_training(client: Client, reporter: Any, training_id: int, **body: Any) -> Any:
    return await client.post(
        f"/trainings/{training_id}/reports",
        json={"reason": "inappropriate_content", **body},
        headers=reporter.headers,
    )


async def test_a_reported_training_is_blocked_from_the_queue_and_both_logs_say_so(
    client: Client,
    make_actor: Any,
    admin_headers: dict[str, str],
    sibling_http: dict[str, httpx.AsyncClient],
) -> None:
    trainer = await make_actor(is_athlete=False)
    training = await a_training(sibling_http["trainings"], trainer.id, trainer.headers)
    athlete, other = await make_actor(), await make_actor()

    made = await report_training(client, athlete, training["id"], details="not a workout")
    assert made.status_code == 201, made.text
    assert made.json()["target_type"] == "training"
    assert (await report_training(client, athlete, training["id"])).status_code == 409
    assert (await report_training(client, trainer, training["id"])).status_code == 400
    assert (await report_training(client, athlete, 987654321)).status_code == 404
    assert (
        await report_training(client, athlete, training["id"], reason="boring")
    ).status_code == 400
    admin_report = await client.post(
        f"/trainings/{training['id']}/reports", json={"reason": "spam"}, headers=admin_headers
    )
    assert admin_report.status_code == 403
    second = await report_training(client, other, training["id"])
    assert second.status_code == 201

    queue = await client.get(
        "/admins/reports", params={"target_type": "training"}, headers=admin_headers
    )
    mine = [q for q in queue.json()["items"] if q["report"]["target_id"] == training["id"]]
    assert mine[0]["target"] == {
        "type": "training",
        "id": training["id"],
        "title": "Arm day",
        "trainer_id": trainer.id,
        "blocked": False,
    }
    assert mine[0]["open_reports"] == 2

    resolved = await client.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "block_training", "note": "spam content"},
        headers=admin_headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert sorted(resolved.json()["closed"]) == sorted([made.json()["id"], second.json()["id"]])
    state = await sibling_http["trainings"].get(
        "/internal/trainings", params={"ids": str(training["id"])}, headers=INTERNAL
    )
    assert state.json()[0]["blocked"] is True

    audit = await client.get("/admins/audit", params={"actor_id": 1}, headers=admin_headers)
    page = audit.json()
    assert page["unavailable"] == []
    logged = [(e["source"], e["action"]) for e in page["items"][:2]]
    assert logged == [("users", "report_resolved"), ("trainings", "training_blocked")]
    by_target = await client.get(
        "/admins/audit",
        params={"target_type": "training", "target_id": training["id"]},
        headers=admin_headers,
    )
    [entry] = by_target.json()["items"]
    assert entry["before"] == {"blocked": False} and entry["after"]["blocked"] is True


async def test_block_training_is_refused_on_a_user_report(
    client: Client, make_actor: Any, admin_headers: dict[str, str]
) -> None:
    target = await make_actor()
    made = await client.post(
        f"/users/{target.id}/reports", json={"reason": "spam"}, headers=(await make_actor()).headers
    )
    refused = await client.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "block_training"},
        headers=admin_headers,
    )
    assert refused.status_code == 400, refused.text


async def test_a_warning_on_a_training_report_reaches_its_trainer(
    client: Client,
    make_actor: Any,
    admin_headers: dict[str, str],
    sibling_http: dict[str, httpx.AsyncClient],
) -> None:
    trainer = await make_actor(is_athlete=False)
    training = await a_training(sibling_http["trainings"], trainer.id, trainer.headers)
    made = await report_training(client, await make_actor(), training["id"])
    warned = await client.patch(
        f"/admins/reports/{made.json()['id']}",
        json={"action": "warn", "note": "keep it clean"},
        headers=admin_headers,
    )
    assert warned.status_code == 200, warned.text
    warnings = await client.get(f"/users/{trainer.id}/warnings", headers=trainer.headers)
    assert [w["note"] for w in warnings.json()] == ["keep it clean"]


async def test_the_audit_log_names_a_log_it_cannot_read(
    client: Client,
    admin_headers: dict[str, str],
    http: httpx.AsyncClient,
    siblings: dict[str, Sibling],
) -> None:
    user = await sign_up(client)
    topped = await client.patch(
        f"/users/{user['id']}/wallet/balance",
        json={"amount": "0.0001"},
        headers={**admin_headers, "Idempotency-Key": f"audit-{user['id']}"},
    )
    assert topped.status_code in (200, 201), topped.text
    params = {"target_type": "user", "target_id": user["id"]}
    page = (await client.get("/admins/audit", params=params, headers=admin_headers)).json()
    assert [(e["source"], e["action"]) for e in page["items"]] == [("payment", "wallet_topped_up")]
    assert Decimal(page["items"][0]["after"]["amount"]) == Decimal("0.0001")
    assert page["items"][0]["actor_id"] == 1

    siblings["trainings"].stop()
    try:
        partial = (await client.get("/admins/audit", headers=admin_headers)).json()
        assert partial["unavailable"] == ["trainings"]
        # A filter that only users and payment can hold does not need trainings.
        whole = (await client.get("/admins/audit", params=params, headers=admin_headers)).json()
        assert whole["unavailable"] == []
    finally:
        await siblings["trainings"].start()
