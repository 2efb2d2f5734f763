"""Reports on users and the moderation queue: reporting, the queue, resolving (dismiss, warn,
block) and warnings, with the authorisation matrix and bad input of each route."""

import json
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import Client, bearer, eventually, make_settings, outbox_metrics, token
from users.app import create_app

REASONS = ["spam", "harassment", "inappropriate_content", "impersonation", "other"]


async def report(
    client: Client, reporter: Any, target_id: int, reason: str = "spam", details: str = ""
) -> httpx.Response:
    return await client.post(
        f"/users/{target_id}/reports",
        json={"reason": reason, "details": details},
        headers=reporter.headers,
    )


async def queued(client: Client, admin_headers: dict[str, str], **filters: Any) -> Any:
    response = await client.get("/admins/reports", params=filters, headers=admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_user_reports_another_once_while_the_report_is_open(
    client: Client, make_actor: Any, db: asyncpg.Pool
) -> None:
    reporter, target = await make_actor(), await make_actor(is_athlete=False)
    made = await report(client, reporter, target.id, "harassment", "insults in messages")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body == {
        "id": body["id"],
        "reporter_id": reporter.id,
        "target_type": "user",
        "target_id": target.id,
        "reason": "harassment",
        "details": "insults in messages",
        "status": "open",
        "created_at": body["created_at"],
        "outcome": None,
        "note": None,
        "resolved_by": None,
        "resolved_at": None,
    }
    again = await report(client, reporter, target.id, "spam")
    assert again.status_code == 409 and "open report" in again.json()["detail"]
    # Another reporter may; every reason is accepted.
    for reason in REASONS:
        assert (await report(client, await make_actor(), target.id, reason)).status_code == 201
    opened = [
        label for metric, label in await outbox_metrics(db) if metric == "report_opened_count"
    ]
    assert sorted(opened) == sorted(["harassment", *REASONS])


async def test_who_may_report_and_what_is_refused(
    client: Client, make_actor: Any, admin_headers: dict[str, str]
) -> None:
    reporter, target = await make_actor(), await make_actor()
    path = f"/users/{target.id}/reports"
    good = {"reason": "spam", "details": ""}
    assert (await client.post(path, json=good)).status_code == 401
    assert (await client.post(path, json=good, headers=admin_headers)).status_code == 403
    self_report = await report(client, reporter, reporter.id)
    assert self_report.status_code == 400 and "yourself" in self_report.json()["detail"]
    assert (await report(client, reporter, 99999999)).status_code == 404
    for body in (
        {"reason": "boring"},
        {},
        {"reason": "spam", "details": "x" * 2001},
        {"reason": "spam", "details": 12},
        {"reason": "spam", "details": "nul \x00 inside"},
        [],
    ):
        response = await client.post(path, json=body, headers=reporter.headers)
        assert response.status_code == 400, (body, response.text)
    assert (
        await client.post("/users/0/reports", json=good, headers=reporter.headers)
    ).status_code == 400
    # Nothing above left a report behind.
    assert (await report(client, reporter, target.id)).status_code == 201


async def test_reporting_is_rate_limited_per_reporter(make_actor: Any) -> None:
    settings = make_settings(report_attempts_per_account=2, bootstrap_admin_email=None)
    async with AsyncTestClient(app=create_app(settings)) as client:
        reporter = await make_actor()
        statuses = [
            (await report(client, reporter, (await make_actor()).id)).status_code for _ in range(3)
        ]
        assert statuses == [201, 201, 429]


async def test_the_queue_is_oldest_first_with_each_targets_state(
    client: Client, make_actor: Any, admin_headers: dict[str, str]
) -> None:
    target, other = await make_actor(), await make_actor()
    first = (await report(client, await make_actor(), target.id, "spam")).json()
    second = (await report(client, await make_actor(), other.id, "impersonation")).json()
    third = (await report(client, await make_actor(), target.id, "other")).json()
    page = await queued(client, admin_headers, limit=100)
    mine = [
        q for q in page["items"] if q["report"]["id"] in (first["id"], second["id"], third["id"])
    ]
    assert [q["report"]["id"] for q in mine] == [first["id"], second["id"], third["id"]]
    assert [q["open_reports"] for q in mine] == [2, 1, 2]
    assert mine[0]["target"] == {
        "type": "user",
        "id": target.id,
        "username": target.user.username,
        "is_blocked": False,
        "suspended_until": None,
    }
    assert set(page) == {"items", "total", "page", "size", "pages"}
    by_reason = await queued(client, admin_headers, reason="impersonation", target_type="user")
    assert second["id"] in [q["report"]["id"] for q in by_reason["items"]]
    assert {q["report"]["reason"] for q in by_reason["items"]} == {"impersonation"}
    assert all(q["report"]["status"] == "open" for q in page["items"])


async def test_only_admins_work_the_queue(
    client: Client, make_actor: Any, admin_headers: dict[str, str]
) -> None:
    user, target = await make_actor(), await make_actor()
    made = (await report(client, user, target.id)).json()
    resolve = f"/admins/reports/{made['id']}"
    for method, path, body in (
        ("GET", "/admins/reports", None),
        ("PATCH", resolve, {"action": "dismiss"}),
    ):
        assert (await client.request(method, path, json=body)).status_code == 401
        for headers in (user.headers, target.headers):  # the reporter and the reported alike
            assert (
                await client.request(method, path, json=body, headers=headers)
            ).status_code == 403
    for query in ("status=closed", "reason=boring", "target_type=goal", "limit=0", "offset=-1"):
        response = await client.get(f"/admins/reports?{query}", headers=admin_headers)
        assert response.status_code == 400, (query, response.text)
    for body in ({"action": "ban"}, {}, {"action": "warn", "note": "x" * 2001}):
        response = await client.patch(resolve, json=body, headers=admin_headers)
        assert response.status_code == 400, (body, response.text)
    assert (
        await client.patch(
            "/admins/reports/99999999", json={"action": "dismiss"}, headers=admin_headers
        )
    ).status_code == 404
    assert (
        await client.patch(resolve, json={"action": "dismiss"}, headers=admin_headers)
    ).status_code == 200


async def test_a_warning_closes_every_open_report_and_reaches_the_user(
    client: Client, make_actor: Any, admin_headers: dict[str, str], db: asyncpg.Pool
) -> None:
    target, stranger = await make_actor(), await make_actor()
    reporters = [await make_actor() for _ in range(3)]
    made = [(await report(client, r, target.id, "harassment")).json() for r in reporters]
    resolved = await client.patch(
        f"/admins/reports/{made[1]['id']}",
        json={"action": "warn", "note": "Keep it civil"},
        headers=admin_headers,
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["closed"] == [m["id"] for m in made]
    assert body["report"]["status"] == "resolved" and body["report"]["outcome"] == "warn"
    assert body["report"]["resolved_by"] == 1 and body["report"]["note"] == "Keep it civil"
    again = await client.patch(
        f"/admins/reports/{made[0]['id']}", json={"action": "dismiss"}, headers=admin_headers
    )
    assert again.status_code == 409
    resolved_queue = await queued(client, admin_headers, status="resolved", limit=100)
    outcomes = {q["report"]["id"]: q["report"]["outcome"] for q in resolved_queue["items"]}
    assert all(outcomes.get(m["id"]) == "warn" for m in made)

    path = f"/users/{target.id}/warnings"
    for headers in (target.headers, admin_headers):
        warnings = await client.get(path, headers=headers)
        assert warnings.status_code == 200, warnings.text
        [warning] = warnings.json()
        assert warning["note"] == "Keep it civil" and warning["reason"] == "harassment"
        assert warning["report_id"] == made[1]["id"]
    assert (await client.get(path, headers=stranger.headers)).status_code == 403
    assert (await client.get(path)).status_code == 401
    assert (await client.get("/users/99999999/warnings", headers=admin_headers)).status_code == 404
    # The reporters may report again, now that their reports are closed.
    assert (await report(client, reporters[0], target.id)).status_code == 201

    resolved_metrics = [
        (label, value) for metric, label, value in await outbox_values(db, "report_resolved_count")
    ]
    assert resolved_metrics == [("warn", 3.0)]
    audit = await client.get(
        "/admins/audit",
        params={"action": "report_resolved", "target_id": made[1]["id"]},
        headers=admin_headers,
    )
    [entry] = audit.json()["items"]
    assert entry["before"] == {"status": "open"}
    assert entry["after"]["outcome"] == "warn" and entry["after"]["closed"] == body["closed"]


async def test_resolving_with_block_blocks_the_user_everywhere(
    client: Client, make_actor: Any, admin_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    target, reporter = await make_actor(), await make_actor()
    made = (await report(client, reporter, target.id, "impersonation")).json()
    resolved = await client.patch(
        f"/admins/reports/{made['id']}", json={"action": "block"}, headers=admin_headers
    )
    assert resolved.status_code == 200, resolved.text
    shown = await client.get(f"/users/{target.id}", headers=admin_headers)
    assert shown.json()["is_blocked"] is True

    async def refused() -> bool:
        return (await client.get(f"/users/{target.id}", headers=target.headers)).status_code == 401

    await eventually(refused, "the blocked user's token to be refused")
    audit = await client.get(
        "/admins/audit",
        params={"target_type": "user", "target_id": target.id},
        headers=admin_headers,
    )
    assert [e["action"] for e in audit.json()["items"]] == ["user_blocked"]
    # The block toggle unblocks as usual.
    assert (await client.patch(f"/users/status/{target.id}", headers=admin_headers)).json()[
        "is_blocked"
    ] is False
    fresh = bearer(await token(http, "user", target.id, True))
    assert (await client.get(f"/users/{target.id}", headers=fresh)).status_code == 200


async def outbox_values(db: asyncpg.Pool, metric: str) -> list[tuple[str, str, float]]:
    async with db.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox ORDER BY created_at")
    payloads = [json.loads(r["payload"]) for r in rows]
    return [
        (p["metric"], p.get("label"), float(p["value"])) for p in payloads if p["metric"] == metric
    ]


@pytest.mark.parametrize("action", ["dismiss", "warn", "block"])
async def test_each_outcome_is_recorded_on_the_report(
    client: Client, make_actor: Any, admin_headers: dict[str, str], action: str
) -> None:
    target = await make_actor()
    made = (await report(client, await make_actor(), target.id)).json()
    resolved = await client.patch(
        f"/admins/reports/{made['id']}", json={"action": action}, headers=admin_headers
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["report"]["outcome"] == action
    assert resolved.json()["report"]["resolved_at"] is not None
