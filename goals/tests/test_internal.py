"""The internal routes the users service calls (/internal/users/{id}…, X-Service-Token): a
user's erasure (their goals, images and progress log) and export, through HTTP on the real
database and authentication's real storage."""

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from goals.app import create_app
from goals.internal import service
from goals.security import require_service_token
from tests.helpers import (
    AUTH_URL,
    PNG_B64,
    SERVICE_TOKEN,
    START,
    Client,
    FakeClock,
    admin,
    create_goal,
    free_port,
    make_settings,
    set_progress,
    user,
)

SERVICE = {"X-Service-Token": SERVICE_TOKEN}
ROUTES = [("DELETE", "/internal/users/{id}"), ("GET", "/internal/users/{id}/export")]
NOTHING = {"goals_deleted": 0, "progress_deleted": 0, "images_deleted": 0}


async def stored_image(name: str) -> int:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{AUTH_URL}/auth/storage/{name}", headers=SERVICE)
    return response.status_code


async def erase(client: Client, user_id: int | str = 5) -> Any:
    response = await client.delete(f"/internal/users/{user_id}", headers=SERVICE)
    assert response.status_code == 200, response.text
    return response.json()


async def export(client: Client, user_id: int | str = 5) -> Any:
    response = await client.get(f"/internal/users/{user_id}/export", headers=SERVICE)
    assert response.status_code == 200, response.text
    return response.json()


# Who may call


NOT_THE_SERVICE: dict[str, dict[str, str]] = {
    "no credential": {},
    "an empty one": {"X-Service-Token": ""},
    "a wrong one": {"X-Service-Token": "not-the-service-token"},
    "a prefix of it": {"X-Service-Token": SERVICE_TOKEN[:-1]},
    "a user's Bearer token": user(5),
    "an admin's Bearer token": admin(),
    "the credential as a Bearer token": {"Authorization": f"Bearer {SERVICE_TOKEN}"},
}


@pytest.mark.parametrize("caller", list(NOT_THE_SERVICE))
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_only_the_service_credential_opens_the_internal_routes(
    client: Client, method: str, path: str, caller: str
) -> None:
    goal = await create_goal(client, user_id=5)
    # Even with an id that would be a 400: the credential is looked at first.
    for user_id in ("5", "not-a-number"):
        response = await client.request(
            method, path.format(id=user_id), headers=NOT_THE_SERVICE[caller]
        )
        assert response.status_code == 401, response.text
        assert response.json() == {"detail": "Missing or wrong service credential"}
    listed = (await client.get("/goals/5", headers=user(5))).json()
    assert [g["id"] for g in listed] == [goal["id"]]  # nothing was erased


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_options_needs_no_credential(client: Client, method: str, path: str) -> None:
    response = await client.options(path.format(id=5))
    assert response.status_code == 204
    assert method in response.headers["allow"].split(", ")


def test_every_internal_route_has_the_guard_and_no_other_has_the_mark(app: Litestar) -> None:
    """`authenticate` skips the Bearer token on the routes marked SERVICE: each must have the
    guard that checks the credential instead, and those are exactly the /internal/ routes."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "OPTIONS" in handler.http_methods:
                continue  # Litestar's own, answering Allow
            internal = route.path.startswith("/internal/")
            assert bool(handler.opt.get("service")) == internal, route.path
            guards = [g for layer in handler.ownership_layers for g in layer.guards or []]
            assert (require_service_token in guards) == internal, route.path


@pytest.mark.parametrize(
    "user_id",
    ["abc", "-1", "1.5", "1e3", "+5", "%205", "05", str(2**63), "9" * 30, "%20", "0x10", "%D9%A3"],
)
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_an_id_that_is_not_a_bigint_is_400(
    client: Client, method: str, path: str, user_id: str
) -> None:
    response = await client.request(method, path.format(id=user_id), headers=SERVICE)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("user_id", [0, 2**63 - 1])
async def test_the_ends_of_the_id_range_are_users_without_goals(
    client: Client, user_id: int
) -> None:
    assert await erase(client, user_id) == NOTHING
    assert await export(client, user_id) == {"goals": [], "truncated": False}


# Erasure


async def test_erasure_deletes_the_users_goals_images_and_progress_log_once(
    client: Client, db: asyncpg.Pool, clock: FakeClock
) -> None:
    pictured = await create_goal(client, image=PNG_B64)
    also_pictured = await create_goal(client, image=PNG_B64, metric="steps")
    plain = await create_goal(client)
    await set_progress(client, plain, "4")
    clock.advance(hours=1)
    await set_progress(client, plain, "6")
    await set_progress(client, pictured, "2")
    # A goal deleted earlier leaves its progress in the log: the erasure removes that too.
    deleted_earlier = await create_goal(client)
    await set_progress(client, deleted_earlier, "1")
    gone = await client.delete(f"/goals/{deleted_earlier['id']}", headers=user())
    assert gone.status_code == 204
    # Another user's data is not touched.
    others = await create_goal(client, user_id=6, image=PNG_B64)
    await set_progress(client, others, "3")
    names = [f"goals/{goal['id']}/image" for goal in (pictured, also_pictured, others)]
    assert [await stored_image(name) for name in names] == [200, 200, 200]

    answer = await erase(client)

    assert answer == {"goals_deleted": 3, "progress_deleted": 4, "images_deleted": 2}
    assert [await stored_image(name) for name in names] == [404, 404, 200]
    assert await db.fetchval("SELECT count(*) FROM goals WHERE user_id = 5") == 0
    assert await db.fetchval("SELECT count(*) FROM progress_log WHERE user_id = 5") == 0
    assert (await client.get("/goals/5", headers=user(5))).json() == []
    assert [g["id"] for g in (await client.get("/goals/6", headers=user(6))).json()] == [
        others["id"]
    ]
    assert await db.fetchval("SELECT count(*) FROM progress_log WHERE user_id = 6") == 1
    # Idempotent: a second call (users retrying) finds nothing left.
    assert await erase(client) == NOTHING
    assert await erase(client, 987654321) == NOTHING  # a user goals never saw
    await erase(client, 6)  # this test's clean-up of the storage object


async def test_an_image_already_missing_from_storage_is_fine(client: Client) -> None:
    goal = await create_goal(client, image=PNG_B64)
    name = f"goals/{goal['id']}/image"
    async with httpx.AsyncClient() as http:
        gone = await http.delete(f"{AUTH_URL}/auth/storage/{name}", headers=SERVICE)
    assert gone.is_success
    assert await erase(client) == {"goals_deleted": 1, "progress_deleted": 0, "images_deleted": 1}


async def test_erasure_deletes_nothing_while_storage_is_unavailable(
    client: Client, db: asyncpg.Pool, clock: FakeClock
) -> None:
    goal = await create_goal(client, image=PNG_B64)
    await set_progress(client, goal, "4")
    # authentication unreachable: its storage with it (the internal routes need no JWKS).
    cut_off = create_app(make_settings(auth_url=f"http://127.0.0.1:{free_port()}"), clock=clock)
    async with AsyncTestClient(app=cut_off) as other:
        response = await other.delete("/internal/users/5", headers=SERVICE)
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "Image storage is unavailable"}
    assert await db.fetchval("SELECT count(*) FROM goals WHERE user_id = 5") == 1
    assert await db.fetchval("SELECT count(*) FROM progress_log WHERE user_id = 5") == 1
    assert await stored_image(f"goals/{goal['id']}/image") == 200
    # users retries once storage is back: everything goes.
    assert await erase(client) == {"goals_deleted": 1, "progress_deleted": 1, "images_deleted": 1}
    assert await stored_image(f"goals/{goal['id']}/image") == 404


async def test_the_log_opens_only_to_the_erasure_of_the_user_it_names(
    client: Client, db: asyncpg.Pool
) -> None:
    for user_id in (5, 6):
        await set_progress(client, await create_goal(client, user_id=user_id), "4")
    async with db.acquire() as conn:
        for statement in ("DELETE FROM progress_log", "UPDATE progress_log SET delta = 100"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('goals.erasing_user', '5', true)")
                    await conn.execute(statement)
        # Outside that transaction the setting is gone: the log is append-only again.
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM progress_log WHERE user_id = 5")
    assert await db.fetchval("SELECT count(*) FROM progress_log") == 2


# Export


async def test_export_carries_every_goal_with_its_history_and_images_by_name(
    client: Client, clock: FakeClock
) -> None:
    pictured = await create_goal(
        client, image=PNG_B64, objective="2.5", title="Lift", metric="muscle"
    )
    open_goal = await create_goal(client, metric="steps", objective="10000")
    await set_progress(client, open_goal, "1000")
    clock.advance(hours=2)
    await set_progress(client, open_goal, "400")  # a correction: a negative change
    clock.advance(hours=1)
    await set_progress(client, pictured, "3")  # completed: listed first
    await create_goal(client, user_id=6)

    exported = await export(client)

    assert exported["truncated"] is False
    assert [g["id"] for g in exported["goals"]] == [pictured["id"], open_goal["id"]]
    first, second = exported["goals"]
    assert first["image"] == f"goals/{pictured['id']}/image"  # a name, never the base64
    assert second["image"] is None
    assert PNG_B64 not in str(exported)
    assert first["current_progress"] == 3 and first["completed"] is True
    assert first["objective"] == 2.5 and first["title"] == "Lift" and first["unit"] == "kg"
    assert first["progress"] == [{"progress": 3, "delta": 3, "recorded_at": "2026-06-14T15:00:00Z"}]
    assert second["progress"] == [
        {"progress": 1000, "delta": 1000, "recorded_at": "2026-06-14T12:00:00Z"},
        {"progress": 400, "delta": -600, "recorded_at": "2026-06-14T14:00:00Z"},
    ]
    # The public goal's fields, but the image by name, and the history under `progress`.
    [public] = [g for g in (await client.get("/goals/5", headers=user())).json() if not g["image"]]
    expected = {**public, "current_progress": public.pop("progress"), "progress": []}
    del expected["image_omitted"]
    assert {k: v for k, v in second.items() if k != "progress"} == {
        k: v for k, v in expected.items() if k != "progress"
    }
    await erase(client)  # this test's clean-up of the storage object


async def insert_goals(db: asyncpg.Pool, count: int, user_id: int = 5) -> list[int]:
    rows = await db.fetch(
        """
        INSERT INTO goals (user_id, title, description, metric, objective, time_limit,
                           created_at, updated_at)
        SELECT $1, 'g' || n, 'd', 'distance', 10, $2::date, $3::timestamptz, $3
        FROM generate_series(1, $4) AS n
        RETURNING id
        """,
        user_id,
        START.date(),
        START,
        count,
    )
    return sorted(row["id"] for row in rows)


async def insert_progress(db: asyncpg.Pool, goal_id: int, count: int, user_id: int = 5) -> None:
    await db.execute(
        """
        INSERT INTO progress_log (user_id, metric, goal_id, progress, delta, recorded_at)
        SELECT $1, 'distance', $2, n, 1, $3::timestamptz + n * interval '1 minute'
        FROM generate_series(1, $4) AS n
        """,
        user_id,
        goal_id,
        START,
        count,
    )


@pytest.mark.parametrize(("goals", "truncated"), [(500, False), (501, True)])
async def test_export_holds_at_most_500_goals(
    client: Client, db: asyncpg.Pool, goals: int, truncated: bool
) -> None:
    ids = await insert_goals(db, goals)
    exported = await export(client)
    assert exported["truncated"] is truncated
    assert [g["id"] for g in exported["goals"]] == ids[:500]


@pytest.mark.parametrize(("entries", "truncated"), [(1000, False), (1001, True)])
async def test_export_holds_at_most_1000_progress_entries_in_all(
    client: Client, db: asyncpg.Pool, entries: int, truncated: bool
) -> None:
    first, second, third = await insert_goals(db, 3)
    await insert_progress(db, first, 600)
    await insert_progress(db, second, entries - 600)
    await insert_progress(db, third, 0)
    await insert_progress(db, 123, 50)  # a goal deleted earlier: not a goal of the export
    exported = await export(client)
    assert exported["truncated"] is truncated
    histories = [g["progress"] for g in exported["goals"]]
    assert [len(h) for h in histories] == [600, 400, 0]
    for history in histories:  # oldest first, each goal's earliest entries kept
        assert [e["progress"] for e in history] == list(range(1, len(history) + 1))
    # Erasure is not bounded: every entry goes.
    assert (await erase(client))["progress_deleted"] == entries + 50


class Counted:
    """A pool counting the statements its connections run."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements: list[str] = []

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator["Counted"]:
        async with self.pool.acquire() as conn:
            self.conn = conn
            yield self

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        self.statements.append(sql)
        rows: list[asyncpg.Record] = await self.conn.fetch(sql, *args)
        return rows


async def test_export_reads_the_goals_in_one_query_and_their_progress_in_another(
    client: Client, app: Litestar, db: asyncpg.Pool
) -> None:
    ids = await insert_goals(db, 40)
    for goal_id in ids:
        await insert_progress(db, goal_id, 3)
    pool = Counted(db)  # the suite's own pool: the app's belongs to its client's event loop
    services = dataclasses.replace(app.state.services, pool=pool)
    exported = await service.export_user(services, 5)
    assert len(exported.goals) == 40 and all(len(g.progress) == 3 for g in exported.goals)
    assert len(pool.statements) == 2


async def test_export_marks_expired_goals(client: Client, clock: FakeClock) -> None:
    goal = await create_goal(client)
    clock.advance(days=10)
    [exported] = (await export(client))["goals"]
    assert exported["id"] == goal["id"] and exported["expired"] is True
