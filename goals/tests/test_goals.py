"""Goals: the shapes the app reads, its odd bodies, deadlines, completion and images."""

import asyncio
import base64
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from goals.app import create_app
from goals.errors import PayloadTooLarge, ServiceUnavailable
from goals.goals.service import IMAGE_WORDING, image_name
from goals.storage import Storage
from tests.helpers import (
    AUTH_URL,
    PNG_B64,
    SERVICE_TOKEN,
    START,
    Client,
    FakeClock,
    admin,
    create_goal,
    make_settings,
    new_goal,
    set_progress,
    user,
)

GOAL_FIELDS = {
    "id", "user_id", "title", "description", "metric", "unit", "objective", "progress",
    "time_limit", "image", "image_omitted", "completed", "completed_at", "expired",
    "created_at", "updated_at",
}  # fmt: skip


# Within this service's body limit, over its (and authentication's) 5 MiB image limit.
TOO_BIG_FOR_AUTHENTICATION = base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024 + 1)
).decode()


async def stored_image(goal_id: int) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(
            f"{AUTH_URL}/auth/storage/goals/{goal_id}/image",
            headers={"X-Service-Token": SERVICE_TOKEN},
        )


async def test_create_answers_201_with_the_goal(client: Client) -> None:
    goal = await create_goal(client)
    assert set(goal) == GOAL_FIELDS
    assert goal["user_id"] == 5 and goal["unit"] == "km"
    assert goal["objective"] == 10 and goal["progress"] == 0  # numbers, not strings
    assert goal["time_limit"] == "2026-06-17"
    assert goal["image"] is None and goal["completed"] is False and goal["expired"] is False


async def test_f6_goal_journey(client: Client) -> None:
    goal = await create_goal(client)
    [listed] = (await client.get("/goals/5", headers=user())).json()
    assert listed["progress"] == 0 and listed["unit"] == "km"

    await set_progress(client, goal, "4")
    for metric, expected in (("distance", 4), ("fat", 0), ("muscle", 0), ("steps", 0)):
        response = await client.get(f"/goals/5/metricsProgress/{metric}?days=7", headers=user())
        assert response.status_code == 200 and response.json() == {"progress": expected}

    done = await set_progress(client, goal, "10")
    assert done["completed"] is True and done["completed_at"] == "2026-06-14T12:00:00Z"

    assert (await client.delete(f"/goals/{goal['id']}", headers=user())).status_code == 204
    assert (await client.get("/goals/5", headers=user())).json() == []


async def test_list_puts_completed_goals_first(client: Client) -> None:
    first = await create_goal(client, title="first")
    second = await create_goal(client, title="second", objective=3)
    await set_progress(client, second, "3")
    titles = [g["title"] for g in (await client.get("/goals/5", headers=user())).json()]
    assert titles == ["second", "first"]
    assert first["id"] < second["id"]


async def test_list_shows_only_that_users_goals(client: Client) -> None:
    await create_goal(client, user_id=5)
    await create_goal(client, user_id=6)
    mine = (await client.get("/goals/5", headers=user(5))).json()
    assert [g["user_id"] for g in mine] == [5]
    assert (await client.get("/goals/7", headers=user(7))).json() == []


@pytest.mark.parametrize("objective", ["10", 10, 10.5, "2.25"])
async def test_objective_as_number_or_numeric_string(client: Client, objective: Any) -> None:
    goal = await create_goal(client, objective=objective)
    assert goal["objective"] == float(objective)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"objective": "0"}, "objective"),
        ({"objective": -3}, "objective"),
        ({"objective": "ten"}, "objective"),
        ({"objective": True}, "objective"),
        ({"objective": "1e400"}, "objective"),
        ({"objective": "NaN"}, "objective"),
        ({"title": ""}, "title"),
        ({"title": "a\u0000b"}, "title"),
        ({"description": "x" * 501}, "description"),
        ({"metric": "distance\u0000"}, "metric"),
        ({"title": "x" * 101}, "title"),
        ({"description": None}, "description"),
        ({"metric": None}, "metric"),
        ({"time_limit": ""}, "time_limit"),
        ({"time_limit": "17/06/2026"}, "time_limit"),
        ({"time_limit": "2026-02-30"}, "time_limit"),
        ({"time_limit": 1781654400}, "time_limit"),
        ({"image": 12}, "image"),
    ],
)
async def test_create_rejects_bad_input_with_400(
    client: Client, change: dict[str, Any], fragment: str
) -> None:
    response = await client.post("/goals/5", json=new_goal(**change), headers=user())
    assert response.status_code == 400, response.text
    assert fragment in str(response.json())


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"title": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"title": "R\xff\xfe", "description": "d"}',
        b'{"title": "R\\ud800"}',
        b'{"objective": 1e400}',
    ],
    ids=["deep-array", "deep-field", "not-utf8", "lone-surrogate", "huge-number"],
)
async def test_unreadable_bodies_are_400_not_500(client: Client, body: bytes) -> None:
    goal = await create_goal(client)
    for method, path in (("POST", "/goals/5"), ("PATCH", f"/goals/{goal['id']}")):
        response = await client.request(
            method, path, content=body, headers={**user(), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert set(response.json()) <= {"detail", "errors"}


async def test_create_rejects_non_objects_and_broken_json(client: Client) -> None:
    for content in (b"[1, 2]", b"{not json", b'"goal"', b""):
        response = await client.post(
            "/goals/5", content=content, headers={**user(), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (content, response.text)
        assert "detail" in response.json()


async def test_unknown_metric_is_400_naming_the_valid_ones(client: Client) -> None:
    response = await client.post("/goals/5", json=new_goal(metric="calories"), headers=user())
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "calories" in detail and "distance, muscle, fat, steps" in detail


async def test_deadline_may_be_today_anywhere_on_earth_but_not_past(
    client: Client, clock: FakeClock
) -> None:
    clock.set(START.replace(hour=23))  # 23:00 UTC: 20:00 in Buenos Aires, still the 14th
    today = START.date().isoformat()
    assert (
        await client.post("/goals/5", json=new_goal(time_limit=today), headers=user())
    ).status_code == 201
    clock.set(START + timedelta(days=1, hours=11))  # 15th 23:00 UTC: the 14th is over at UTC-12
    late = await client.post("/goals/5", json=new_goal(time_limit=today), headers=user())
    assert late.status_code == 400 and "past" in late.json()["detail"]


async def test_goal_expires_when_its_day_is_over_everywhere(
    client: Client, clock: FakeClock
) -> None:
    goal = await create_goal(client, time_limit="2026-06-15")
    clock.set(START.replace(day=16, hour=11, minute=59))
    [still] = (await client.get("/goals/5", headers=user())).json()
    assert still["expired"] is False
    clock.set(START.replace(day=16, hour=12, minute=1))
    [expired] = (await client.get("/goals/5", headers=user())).json()
    assert expired["expired"] is True
    # Late progress is still recorded, and completing it lifts the expiry.
    done = await set_progress(client, goal, "10")
    assert done["completed"] is True and done["expired"] is False


async def test_patch_with_the_apps_whole_card(client: Client, db: asyncpg.Pool) -> None:
    goal = await create_goal(client)
    card = {
        **goal,
        "id": 999,
        "user_id": 6,
        "metric": "steps",
        "unit": "step",
        "image": PNG_B64,
        "title": "Run more",
        "objective": "12",
        "progress": "4",
        "time_limit": "",
    }
    response = await client.patch(f"/goals/{goal['id']}", json=card, headers=user())
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == goal["id"] and updated["user_id"] == 5
    assert (updated["metric"], updated["unit"], updated["image"]) == ("distance", "km", None)
    assert updated["title"] == "Run more" and updated["objective"] == 12
    assert updated["progress"] == 4 and updated["time_limit"] == goal["time_limit"]
    assert await db.fetchval("SELECT count(*) FROM progress_log") == 1


async def test_patch_without_progress_or_with_the_number_0_leaves_progress(
    client: Client, db: asyncpg.Pool
) -> None:
    goal = await create_goal(client)
    await set_progress(client, goal, "4")
    response = await client.patch(f"/goals/{goal['id']}", json={"title": "Jog"}, headers=user())
    assert response.status_code == 200 and response.json()["progress"] == 4
    # The app sends the number 0 when the progress field was left empty.
    left_empty = await set_progress(client, goal, 0)
    assert left_empty["progress"] == 4
    assert (await set_progress(client, goal, ""))["progress"] == 4
    assert (await set_progress(client, goal, None))["progress"] == 4
    assert await db.fetchval("SELECT count(*) FROM progress_log") == 1
    # Typed by the user, "0" is a string: progress goes back to 0.
    assert (await set_progress(client, goal, "0"))["progress"] == 0
    assert await db.fetchval("SELECT count(*) FROM progress_log") == 2


async def test_patch_empty_body_changes_nothing(client: Client) -> None:
    goal = await create_goal(client)
    response = await client.patch(f"/goals/{goal['id']}", json={}, headers=user())
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in goal.items() if k != "updated_at"
    }


@pytest.mark.parametrize(
    "change",
    [
        {"progress": "-1"},
        {"progress": "abc"},
        {"progress": [4]},
        {"objective": 0},
        {"objective": "0"},
        {"title": ""},
        {"time_limit": "tomorrow"},
        {"time_limit": "2020-01-01"},
    ],
)
async def test_patch_rejects_bad_values_with_400(client: Client, change: dict[str, Any]) -> None:
    goal = await create_goal(client)
    response = await client.patch(f"/goals/{goal['id']}", json=change, headers=user())
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_patch_may_move_the_deadline(client: Client) -> None:
    goal = await create_goal(client)
    response = await client.patch(
        f"/goals/{goal['id']}", json={"time_limit": "2026-07-01"}, headers=user()
    )
    assert response.status_code == 200 and response.json()["time_limit"] == "2026-07-01"


async def test_completion_follows_progress_and_objective(client: Client, clock: FakeClock) -> None:
    goal = await create_goal(client, objective="10")
    assert (await set_progress(client, goal, "9.5"))["completed"] is False
    clock.advance(hours=1)
    done = await set_progress(client, goal, "12")
    assert done["completed"] is True and done["completed_at"] == "2026-06-14T13:00:00Z"
    clock.advance(hours=1)
    # Still completed after more progress: completed_at keeps the first instant.
    assert (await set_progress(client, goal, "13"))["completed_at"] == "2026-06-14T13:00:00Z"
    # Raising the objective past the progress reopens the goal.
    reopened = await client.patch(f"/goals/{goal['id']}", json={"objective": 20}, headers=user())
    assert reopened.json()["completed"] is False and reopened.json()["completed_at"] is None


async def test_image_is_stored_through_authentication_and_listed(client: Client) -> None:
    goal = await create_goal(client, image=PNG_B64)
    assert goal["image"] == PNG_B64
    stored = await stored_image(goal["id"])
    assert stored.status_code == 200 and stored.json()["image"] == PNG_B64
    [listed] = (await client.get("/goals/5", headers=user())).json()
    assert listed["image"] == PNG_B64
    # Deleting the goal deletes its image.
    assert (await client.delete(f"/goals/{goal['id']}", headers=user())).status_code == 204
    assert (await stored_image(goal["id"])).status_code == 404


async def test_data_url_images_are_accepted(client: Client) -> None:
    goal = await create_goal(client, image=f"data:image/png;base64,{PNG_B64}")
    assert goal["image"] == PNG_B64


@pytest.mark.parametrize(
    ("image", "status"),
    [
        ("bm90IGFuIGltYWdl", 400),
        ("%%%not base64%%%", 400),
        (TOO_BIG_FOR_AUTHENTICATION, 413),  # over GOALS_MAX_IMAGE_BYTES (authentication's limit)
        (PNG_B64 * 100_000, 413),  # refused here, before anything is called
    ],
)
async def test_a_refused_image_leaves_no_goal(
    client: Client, db: asyncpg.Pool, image: str, status: int
) -> None:
    response = await client.post("/goals/5", json=new_goal(image=image), headers=user())
    assert response.status_code == status, response.text
    assert "detail" in response.json()
    assert await db.fetchval("SELECT count(*) FROM goals") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0


async def test_storage_failure_is_503_and_leaves_no_goal(
    clock: FakeClock, db: asyncpg.Pool
) -> None:
    # authentication refuses a wrong service credential: storage is unusable for this app.
    app = create_app(make_settings(service_token="wrong-token"), clock=clock)
    async with AsyncTestClient(app=app) as other:
        response = await other.post("/goals/5", json=new_goal(image=PNG_B64), headers=user())
        assert response.status_code == 503
        assert response.json() == {"detail": "Image storage is unavailable"}
        assert await db.fetchval("SELECT count(*) FROM goals") == 0
        # Goals without images do not need storage.
        assert (await other.post("/goals/5", json=new_goal(), headers=user())).status_code == 201


@pytest.mark.parametrize(
    ("image", "status", "detail"),
    [
        ("bm90IGFuIGltYWdl", 400, "Invalid image: Unsupported image"),
        ("%%%not base64%%%", 400, "Invalid image: Incorrect image encoding"),
    ],
)
async def test_storage_refusals_keep_their_status_and_words(
    client: Client, image: str, status: int, detail: str
) -> None:
    response = await client.post("/goals/5", json=new_goal(image=image), headers=user())
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)


def lookups(source: str) -> float:
    value = REGISTRY.get_sample_value("fiufit_goals_media_lookups_total", {"source": source})
    return value or 0.0


async def test_concurrent_reads_of_one_image_share_a_download(client: Client) -> None:
    goal = await create_goal(client, image=PNG_B64)
    name = image_name(goal["id"])
    async with httpx.AsyncClient() as http:
        storage = Storage(http, AUTH_URL, SERVICE_TOKEN, IMAGE_WORDING, concurrency=2)
        before = {source: lookups(source) for source in ("storage", "shared", "cache")}
        assert await asyncio.gather(*(storage.get(name) for _ in range(4))) == [PNG_B64] * 4
        assert lookups("storage") - before["storage"] == 1
        assert lookups("shared") - before["shared"] == 3
        assert lookups("cache") == before["cache"]  # goals keeps no read cache
        assert storage.known_size(name) == len(PNG_B64)
        assert await storage.get(image_name(0)) is None  # no such object
        await storage.delete(name)
        assert storage.known_size(name) is None


async def test_an_image_storage_finds_too_large_is_413_in_its_words() -> None:
    # GOALS_MAX_IMAGE_BYTES refuses it before storage in the app; storage's own 413 is passed on.
    async with httpx.AsyncClient() as http:
        storage = Storage(http, AUTH_URL, SERVICE_TOKEN, IMAGE_WORDING)
        with pytest.raises(PayloadTooLarge) as raised:
            await storage.put(image_name(0), TOO_BIG_FOR_AUTHENTICATION)
    assert raised.value.detail == "Image larger than 5242880 bytes"


async def test_storage_down_is_503_in_this_service_s_words() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        storage = Storage(http, "http://127.0.0.1:1", SERVICE_TOKEN, IMAGE_WORDING)
        for call in (
            storage.put(image_name(1), PNG_B64),
            storage.get(image_name(1)),
            storage.delete(image_name(1)),
        ):
            with pytest.raises(ServiceUnavailable) as raised:
                await call
            assert raised.value.detail == "Image storage is unavailable"


async def test_listing_survives_unreadable_images(clock: FakeClock, client: Client) -> None:
    await create_goal(client, image=PNG_B64)
    app = create_app(make_settings(service_token="wrong-token"), clock=clock)
    async with AsyncTestClient(app=app) as other:
        response = await other.get("/goals/5", headers=user())
    assert response.status_code == 200
    assert [g["image"] for g in response.json()] == [None]


async def test_delete_unknown_goal_is_404_and_twice_is_404(client: Client) -> None:
    goal = await create_goal(client)
    assert (await client.delete(f"/goals/{goal['id']}", headers=user())).status_code == 204
    again = await client.delete(f"/goals/{goal['id']}", headers=user())
    assert again.status_code == 404 and again.json() == {"detail": "No such goal"}


async def test_admin_reads_goals_but_never_writes_them(client: Client) -> None:
    goal = await create_goal(client, user_id=5)
    assert len((await client.get("/goals/5", headers=admin())).json()) == 1
    # An admin whose numeric id equals the owner's has no owner rights.
    assert (
        await client.patch(f"/goals/{goal['id']}", json={}, headers=admin(5))
    ).status_code == 403
    assert (await client.delete(f"/goals/{goal['id']}", headers=admin(5))).status_code == 403
    assert (await client.post("/goals/5", json=new_goal(), headers=admin(5))).status_code == 403


async def test_database_down_is_503(clock: FakeClock) -> None:
    settings = make_settings(database_url="postgresql://postgres@127.0.0.1:1/goals_test")
    app = create_app(settings.model_copy(update={"database_pool_min": 0}), clock=clock)
    async with AsyncTestClient(app=app) as other:
        response = await other.get("/goals/5", headers=user())
    assert response.status_code == 503
    assert response.json() == {"detail": "Database unavailable"}


async def test_validation_detail_names_the_field_and_the_problem(client: Client) -> None:
    response = await client.post("/goals/5", json=new_goal(objective="-1"), headers=user())
    assert response.status_code == 400
    assert response.json()["detail"] == "objective: Input should be greater than 0"
    assert response.json()["errors"] == [
        {"message": "Input should be greater than 0", "key": "objective"}
    ]
