"""The internal routes other FiuFit services call with the service credential (the users
service: its moderation queue, an admin's block, a deleted account's data and its export), and
the audit log of admin actions on trainings.

The audit log cannot be cleaned after a test (that is the point of it): each test reads only the
entries of the trainings it made, whose ids are never reused within a run."""

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import (
    ADMIN,
    ATHLETE,
    AUTH_URL,
    JPEG,
    OTHER_ATHLETE,
    OTHER_TRAINER,
    PNG,
    SERVICE_TOKEN,
    TRAINER,
    Client,
    Create,
    admin,
    athlete,
    make_settings,
    trainer,
)
from trainings.app import create_app

SERVICE = {"X-Service-Token": SERVICE_TOKEN}
AUDIT = "/internal/audit"


@pytest.fixture
async def storage() -> AsyncIterator[httpx.AsyncClient]:
    """authentication's storage, as the service sees it."""
    async with httpx.AsyncClient(
        base_url=f"{AUTH_URL}/auth/storage", headers={"X-Service-Token": SERVICE_TOKEN}
    ) as http:
        yield http


async def audit(client: Client, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, params=filters, headers=SERVICE)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def block(client: Client, training_id: int, blocked: bool, **body: Any) -> httpx.Response:
    return await client.put(
        f"/internal/trainings/{training_id}/blocked",
        json={"blocked": blocked, "actor_id": ADMIN, "note": None, **body},
        headers=SERVICE,
    )


async def favourite(client: Client, user_id: int, training_id: int) -> None:
    response = await client.post(
        f"/users/{user_id}/trainings", json={"training_id": training_id}, headers=athlete(user_id)
    )
    assert response.status_code == 204, response.text


async def rate(client: Client, user_id: int, training_id: int, rate: int) -> None:
    response = await client.put(
        f"/users/{user_id}/trainings/{training_id}", json={"rate": rate}, headers=athlete(user_id)
    )
    assert response.status_code == 204, response.text


# Authorisation ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/internal/trainings?ids=1"),
    ("PUT", "/internal/trainings/1/blocked"),
    ("GET", AUDIT),
    ("DELETE", f"/internal/users/{ATHLETE}"),
    ("GET", f"/internal/users/{ATHLETE}/export"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Service-Token": "not-the-credential"},
        {"X-Service-Token": ""},
        admin(),  # a user's or an admin's token alone is no service credential
        athlete(),
        {"Authorization": f"Bearer {SERVICE_TOKEN}"},
    ],
    ids=["none", "wrong", "empty", "admin-token", "user-token", "as-bearer"],
)
async def test_only_the_service_credential_opens_the_internal_routes(
    client: Client, create: Create, method: str, path: str, headers: dict[str, str]
) -> None:
    training = await create()
    before = (await client.get(f"/trainings/{training['id']}")).json()
    # The credential is checked before the body or the parameters are read.
    response = await client.request(method, path, headers=headers, json={"blocked": "perhaps"})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Missing or wrong service credential"}
    assert (await client.get(f"/trainings/{training['id']}")).json() == before


async def test_a_preflight_needs_no_credential(client: Client) -> None:
    response = await client.options("/internal/audit")
    assert response.status_code == 204
    assert "GET" in response.headers["allow"]


async def test_the_service_credential_opens_no_user_route(client: Client, create: Create) -> None:
    training = await create()
    response = await client.patch(
        f"/trainings/{training['id']}", json={"blocked": True}, headers=SERVICE
    )
    assert response.status_code == 401


# GET /internal/trainings -----------------------------------------------------------------------


async def test_trainings_by_id_leave_out_the_unknown_ones(client: Client, create: Create) -> None:
    first = await create()
    second = await create(trainer_id=OTHER_TRAINER, title="Leg day")
    assert (await block(client, second["id"], True)).status_code == 200
    ids = f"{second['id']},{first['id']},999999999,{first['id']}"
    response = await client.get("/internal/trainings", params={"ids": ids}, headers=SERVICE)
    assert response.status_code == 200, response.text
    assert sorted(response.json(), key=lambda item: item["id"]) == [
        {"id": first["id"], "trainer_id": TRAINER, "title": "Arm day", "blocked": False},
        {"id": second["id"], "trainer_id": OTHER_TRAINER, "title": "Leg day", "blocked": True},
    ]
    nothing = await client.get("/internal/trainings?ids=999999999", headers=SERVICE)
    assert nothing.status_code == 200 and nothing.json() == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "ids=",
        "ids=0",
        "ids=-1",
        "ids=1,,2",
        "ids=1,",
        "ids=a",
        "ids=1.5",
        "ids=1%0A",
        "ids= 1",
        "ids=01",
        f"ids={2**63}",
        "ids=" + ",".join(str(n) for n in range(1, 102)),
    ],
)
async def test_bad_ids_are_400(client: Client, query: str) -> None:
    response = await client.get(f"/internal/trainings?{query}", headers=SERVICE)
    assert response.status_code == 400, response.text


async def test_a_hundred_ids_are_fine(client: Client, create: Create) -> None:
    training = await create()
    ids = ",".join(str(n) for n in range(training["id"], training["id"] + 100))
    response = await client.get("/internal/trainings", params={"ids": ids}, headers=SERVICE)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [training["id"]]


# PUT /internal/trainings/{id}/blocked and the audit log ----------------------------------------


async def test_blocking_is_recorded_once_with_what_it_changed(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    training = await create(type="Chest", exercises=[])
    tid = training["id"]
    first = await block(client, tid, True, actor_id=7, note="Spam in the description")
    assert first.status_code == 200, first.text
    assert first.json() == {"id": tid, "trainer_id": TRAINER, "title": "Arm day", "blocked": True}
    retried = await block(client, tid, True, actor_id=7, note="Spam in the description")
    assert retried.status_code == 200 and retried.json() == first.json()  # a no-op
    assert (await client.get(f"/trainings/{tid}")).json()["blocked"] is True
    [entry] = await audit(client, target_id=tid)
    assert set(entry) == {
        *("id", "at", "actor_id", "action", "target_type", "target_id", "before", "after")
    }
    assert (entry["actor_id"], entry["action"], entry["target_type"], entry["target_id"]) == (
        7,
        "training_blocked",
        "training",
        tid,
    )
    assert entry["before"] == {"blocked": False}
    assert entry["after"] == {"blocked": True, "note": "Spam in the description"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", entry["at"])
    # The admin path's event, once.
    metrics = await db.fetch("SELECT payload->>'metric' AS metric FROM outbox ORDER BY created_at")
    assert [row["metric"] for row in metrics].count("training_blocked_count") == 1

    unblocked = await block(client, tid, False, actor_id="8")  # a numeric string, no note
    assert unblocked.status_code == 200 and unblocked.json()["blocked"] is False
    logged = await audit(client, target_type="training", target_id=tid)
    assert [(e["action"], e["actor_id"], e["before"], e["after"]) for e in logged] == [
        ("training_unblocked", 8, {"blocked": True}, {"blocked": False}),
        (
            "training_blocked",
            7,
            {"blocked": False},
            {"blocked": True, "note": logged[1]["after"]["note"]},
        ),
    ]  # newest first


async def test_an_admins_patch_is_recorded_with_the_admin_from_the_token(
    client: Client, create: Create
) -> None:
    training = await create()
    path = f"/trainings/{training['id']}"
    for blocked in (True, True, False):
        response = await client.patch(path, json={"blocked": blocked}, headers=admin(31))
        assert response.status_code == 200, response.text
        assert response.json()["blocked"] is blocked
    logged = await audit(client, target_id=training["id"])
    assert [(e["action"], e["actor_id"], e["before"], e["after"]) for e in logged] == [
        ("training_unblocked", 31, {"blocked": True}, {"blocked": False}),
        ("training_blocked", 31, {"blocked": False}, {"blocked": True}),
    ]
    # A trainer's edit, or an admin's edit that leaves `blocked` alone, is no admin action.
    assert (await client.patch(path, json={"title": "Arms"}, headers=trainer())).is_success
    assert (await client.patch(path, json={"title": "Legs"}, headers=admin(31))).is_success
    assert len(await audit(client, target_id=training["id"])) == 2


async def test_blocking_an_unknown_training_is_404_and_leaves_no_entry(client: Client) -> None:
    response = await block(client, 987654321, True)
    assert response.status_code == 404, response.text
    assert await audit(client, target_id=987654321) == []


@pytest.mark.parametrize(
    "body",
    [
        {"actor_id": 1},
        {"blocked": True},
        {"blocked": 0, "actor_id": 1},
        {"blocked": "yes", "actor_id": 1},
        {"blocked": True, "actor_id": 0},
        {"blocked": True, "actor_id": 2**63},
        {"blocked": True, "actor_id": True},
        {"blocked": True, "actor_id": 1, "note": 5},
        {"blocked": True, "actor_id": 1, "note": "x" * 1001},
        {"blocked": True, "actor_id": 1, "note": "a\x00b"},
        [],
    ],
)
async def test_bad_block_bodies_are_400(client: Client, create: Create, body: Any) -> None:
    training = await create()
    response = await client.put(
        f"/internal/trainings/{training['id']}/blocked", json=body, headers=SERVICE
    )
    assert response.status_code == 400, response.text
    assert (await client.get(f"/trainings/{training['id']}")).json()["blocked"] is False
    assert await audit(client, target_id=training["id"]) == []


async def test_the_audit_log_filters_and_pages(client: Client, create: Create) -> None:
    first, second = await create(), await create()
    for blocked in (True, False, True):
        assert (await block(client, first["id"], blocked, actor_id=4001)).status_code == 200
    assert (await block(client, second["id"], True, actor_id=4002)).status_code == 200
    mine = await audit(client, target_id=first["id"])
    assert [e["action"] for e in mine] == [
        "training_blocked",
        "training_unblocked",
        "training_blocked",
    ]
    assert [e["id"] for e in mine] == sorted((e["id"] for e in mine), reverse=True)
    page = await client.get(
        AUDIT, params={"target_id": first["id"], "offset": 1, "limit": 1}, headers=SERVICE
    )
    assert page.status_code == 200
    assert page.json()["total"] == 3 and [e["id"] for e in page.json()["items"]] == [mine[1]["id"]]
    assert [e["target_id"] for e in await audit(client, actor_id=4002)] == [second["id"]]
    blocks = await audit(client, actor_id=4001, action="training_blocked")
    assert len(blocks) == 2 and {e["target_id"] for e in blocks} == {first["id"]}
    assert (
        await audit(client, actor_id=4001, action="training_blocked", target_id=second["id"]) == []
    )
    everything = await client.get(AUDIT, headers=SERVICE)
    assert everything.json()["total"] >= 4 and len(everything.json()["items"]) <= 50


@pytest.mark.parametrize(
    "query",
    [
        "action=training_deleted",
        "action=user_blocked",
        "target_type=user",
        "actor_id=0",
        "target_id=-3",
        "target_id=abc",
        f"actor_id={2**63}",
        "offset=-1",
        "offset=10001",
        "limit=0",
        "limit=101",
    ],
)
async def test_bad_audit_filters_are_400(client: Client, query: str) -> None:
    response = await client.get(f"{AUDIT}?{query}", headers=SERVICE)
    assert response.status_code == 400, response.text


async def test_the_service_role_cannot_rewrite_or_erase_the_log(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    """`db` connects as the service does (the app's TRAININGS_DATABASE_URL). The refusal
    holds for the table's owner and a superuser too (triggers that fire always), so it holds
    for any role the service is deployed with."""
    training = await create()
    assert (await block(client, training["id"], True)).status_code == 200
    statements = [
        "UPDATE admin_audit SET actor_id = 0 WHERE target_id = $1",
        "DELETE FROM admin_audit WHERE target_id = $1",
    ]
    for statement in statements:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(statement, training["id"])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("TRUNCATE admin_audit")
    # Not even with the replication role that turns ordinary triggers off.
    async with db.transaction():
        await db.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(statements[1], training["id"])
    logged = await audit(client, target_id=training["id"])
    assert [(e["action"], e["actor_id"]) for e in logged] == [("training_blocked", ADMIN)]


# DELETE /internal/users/{id} -------------------------------------------------------------------


async def test_deleting_an_athlete_removes_their_favourites_and_ratings_and_recomputes(
    client: Client, create: Create
) -> None:
    first, second = await create(), await create(trainer_id=OTHER_TRAINER)
    for training in (first, second):
        await favourite(client, ATHLETE, training["id"])
        await favourite(client, OTHER_ATHLETE, training["id"])
    await rate(client, ATHLETE, first["id"], 5)
    await rate(client, ATHLETE, second["id"], 1)
    await rate(client, OTHER_ATHLETE, first["id"], 2)
    assert (await client.get(f"/trainings/{first['id']}")).json()["rating"] == 4  # (5 + 2) / 2

    response = await client.delete(f"/internal/users/{ATHLETE}", headers=SERVICE)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "trainings_deleted": 0,
        "favourites_deleted": 2,
        "ratings_deleted": 2,
    }
    after = (await client.get(f"/trainings/{first['id']}")).json()
    assert (after["rating"], after["rating_count"]) == (2, 1)
    after = (await client.get(f"/trainings/{second['id']}")).json()
    assert (after["rating"], after["rating_count"]) == (0, 0)
    assert (await client.get(f"/users/{ATHLETE}/trainings")).json()["count"] == 0
    assert (await client.get(f"/users/{OTHER_ATHLETE}/trainings")).json()["count"] == 2
    rating = await client.get(f"/users/{ATHLETE}/trainings/{first['id']}/rating")
    assert rating.status_code == 404

    again = await client.delete(f"/internal/users/{ATHLETE}", headers=SERVICE)
    assert again.status_code == 200
    assert again.json() == {"trainings_deleted": 0, "favourites_deleted": 0, "ratings_deleted": 0}


async def test_deleting_a_trainer_deletes_their_trainings_with_everything_hanging_off_them(
    client: Client, create: Create, storage: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    with_png = await create(media=PNG)
    with_jpeg = await create(media=JPEG, title="Leg day")
    bare = await create(media=None)
    theirs = await create(trainer_id=OTHER_TRAINER, title="Someone else's")
    names = [
        await db.fetchval("SELECT media FROM trainings WHERE id = $1", t["id"])
        for t in (with_png, with_jpeg)
    ]
    for name in names:
        assert (await storage.get(f"/{name}")).status_code == 200
    await favourite(client, ATHLETE, with_png["id"])
    await rate(client, ATHLETE, with_png["id"], 3)
    await favourite(client, ATHLETE, theirs["id"])
    # The trainer's own favourite and rating of another trainer's training go too.
    await client.post(
        f"/users/{TRAINER}/trainings", json={"training_id": theirs["id"]}, headers=trainer()
    )
    rated = await client.put(
        f"/users/{TRAINER}/trainings/{theirs['id']}", json={"rate": 4}, headers=trainer()
    )
    assert rated.status_code == 204

    response = await client.delete(f"/internal/users/{TRAINER}", headers=SERVICE)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "trainings_deleted": 3,
        "favourites_deleted": 1,
        "ratings_deleted": 1,
    }
    for training in (with_png, with_jpeg, bare):
        assert (await client.get(f"/trainings/{training['id']}")).status_code == 404
    for name in names:
        assert (await storage.get(f"/{name}")).status_code == 404
    left = await db.fetchval(
        "SELECT (SELECT count(*) FROM training_exercises WHERE training_id = ANY($1))"
        " + (SELECT count(*) FROM favourites WHERE training_id = ANY($1))"
        " + (SELECT count(*) FROM ratings WHERE training_id = ANY($1))",
        [with_png["id"], with_jpeg["id"], bare["id"]],
    )
    assert left == 0
    page = (await client.get(f"/users/{ATHLETE}/trainings")).json()
    assert [t["id"] for t in page["items"]] == [theirs["id"]]
    found = (await client.get("/trainings", params={"trainer_id": str(TRAINER)})).json()
    assert found["count"] == 0 and found["items"] == []
    other = (await client.get(f"/trainings/{theirs['id']}")).json()
    assert (other["rating"], other["rating_count"]) == (0, 0)

    again = await client.delete(f"/internal/users/{TRAINER}", headers=SERVICE)
    assert again.json() == {"trainings_deleted": 0, "favourites_deleted": 0, "ratings_deleted": 0}


async def test_deleting_keeps_the_audit_entries_of_the_deleted_trainings(
    client: Client, create: Create
) -> None:
    training = await create()
    assert (await block(client, training["id"], True)).status_code == 200
    response = await client.delete(f"/internal/users/{TRAINER}", headers=SERVICE)
    assert response.json()["trainings_deleted"] == 1
    assert [e["action"] for e in await audit(client, target_id=training["id"])] == [
        "training_blocked"
    ]


async def test_an_unknown_user_deletes_nothing(client: Client, create: Create) -> None:
    training = await create()
    response = await client.delete("/internal/users/123456789", headers=SERVICE)
    assert response.status_code == 200
    assert response.json() == {
        "trainings_deleted": 0,
        "favourites_deleted": 0,
        "ratings_deleted": 0,
    }
    assert (await client.get(f"/trainings/{training['id']}")).status_code == 200


async def test_a_storage_outage_is_503_and_deletes_nothing(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    """authentication (the storage) cannot be reached: users retries later, and until then the
    account's data is all still there."""
    training = await create(media=PNG)
    await favourite(client, ATHLETE, training["id"])
    await rate(client, ATHLETE, training["id"], 5)
    cut_off = make_settings(auth_url="http://127.0.0.1:9", upstream_timeout=1.0)
    async with AsyncTestClient(app=create_app(cut_off)) as isolated:
        response = await isolated.delete(f"/internal/users/{TRAINER}", headers=SERVICE)
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "Media storage is unavailable"}
    assert await db.fetchval("SELECT count(*) FROM trainings WHERE id = $1", training["id"]) == 1
    assert (
        await db.fetchval("SELECT count(*) FROM favourites WHERE training_id = $1", training["id"])
        == 1
    )
    assert (
        await db.fetchval("SELECT count(*) FROM ratings WHERE training_id = $1", training["id"])
        == 1
    )
    # With storage back, the retry does it all.
    response = await client.delete(f"/internal/users/{TRAINER}", headers=SERVICE)
    assert response.json()["trainings_deleted"] == 1


@pytest.mark.parametrize(
    "path", ["/internal/users/0", "/internal/users/-1", f"/internal/users/{2**63}"]
)
async def test_bad_user_ids_are_400_or_404(client: Client, path: str) -> None:
    for suffix in ("", "/export"):
        method = "DELETE" if not suffix else "GET"
        response = await client.request(method, path + suffix, headers=SERVICE)
        assert response.status_code in (400, 404), response.text


# GET /internal/users/{id}/export ---------------------------------------------------------------


async def test_the_export_holds_the_users_trainings_favourites_and_ratings(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    authored = await create(media=PNG)
    other = await create(trainer_id=OTHER_TRAINER, title="Leg day")
    await client.post(
        f"/users/{TRAINER}/trainings", json={"training_id": other["id"]}, headers=trainer()
    )
    rated = await client.put(
        f"/users/{TRAINER}/trainings/{other['id']}", json={"rate": 4}, headers=trainer()
    )
    assert rated.status_code == 204
    response = await client.get(f"/internal/users/{TRAINER}/export", headers=SERVICE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["truncated"] is False
    [training] = body["trainings"]
    name = await db.fetchval("SELECT media FROM trainings WHERE id = $1", authored["id"])
    assert training["media"] == name and name.startswith(f"trainings/{authored['id']}/media-")
    public = {k: v for k, v in authored.items() if k not in ("media", "media_omitted")}
    assert {k: v for k, v in training.items() if k != "media"} == public
    assert body["favourites"] == [{"training_id": other["id"], "title": "Leg day"}]
    [rating] = body["ratings"]
    assert (rating["training_id"], rating["title"], rating["rate"]) == (other["id"], "Leg day", 4)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", rating["date"])

    nobody = await client.get("/internal/users/123456789/export", headers=SERVICE)
    assert nobody.status_code == 200
    assert nobody.json() == {"trainings": [], "favourites": [], "ratings": [], "truncated": False}


async def test_the_export_is_bounded(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    training = await create()
    # 501 favourites and ratings of one user, written directly: the bound is what is tested.
    await db.execute(
        "INSERT INTO trainings (trainer_id, title, description, type_id, difficulty_id)"
        " SELECT $1, 'Bulk ' || n, 'Many', 1, 1 FROM generate_series(1, 501) n",
        OTHER_TRAINER,
    )
    ids = [
        r["id"]
        for r in await db.fetch("SELECT id FROM trainings WHERE trainer_id = $1", OTHER_TRAINER)
    ]
    await db.execute(
        "INSERT INTO favourites (user_id, training_id) SELECT $1, unnest($2::bigint[])",
        ATHLETE,
        ids,
    )
    body = (await client.get(f"/internal/users/{ATHLETE}/export", headers=SERVICE)).json()
    assert (len(body["favourites"]), len(body["ratings"]), body["truncated"]) == (500, 0, True)
    trainer_body = (
        await client.get(f"/internal/users/{OTHER_TRAINER}/export", headers=SERVICE)
    ).json()
    assert (len(trainer_body["trainings"]), trainer_body["truncated"]) == (500, True)
    mine = (await client.get(f"/internal/users/{TRAINER}/export", headers=SERVICE)).json()
    assert [t["id"] for t in mine["trainings"]] == [training["id"]] and not mine["truncated"]
