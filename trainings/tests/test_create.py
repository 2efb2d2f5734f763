from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.helpers import (
    TRAINER,
    Client,
    Create,
    admin,
    athlete,
    bearer,
    make_settings,
    trainer,
    training_body,
)
from trainings.app import create_app


async def test_trainer_creates_a_training_as_themself(client: Client) -> None:
    response = await client.post("/trainings", json=training_body(), headers=trainer())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "trainer_id": str(TRAINER),  # from the token, not the body's "999"
        "title": "Arm day",
        "description": "Curls and dips",
        "type": "Arm",
        "difficulty": "Easy",
        "media": None,
        "media_omitted": False,
        "exercises": training_body()["exercises"],  # each with its catalogue type and unit
        "rating": 0,
        "rating_count": 0,
        "blocked": False,
    }
    again = await client.get(f"/trainings/{created['id']}")
    assert again.status_code == 200
    assert again.json() == created


async def test_a_new_training_says_where_it_is(client: Client) -> None:
    response = await client.post("/trainings", json=training_body(), headers=trainer())
    assert response.status_code == 201
    assert response.headers["location"] == f"/trainings/{response.json()['id']}"
    assert (await client.get(response.headers["location"])).json() == response.json()


async def test_blanks_around_texts_names_and_numbers_are_trimmed(client: Client) -> None:
    body = training_body(
        title="\u00a0 Arm day\n",
        description="\tCurls and dips\u3000",
        type=" Arm ",
        difficulty="Easy\r\n",
        exercises=[{"name": " Walk ", "unit": " metre\u2003", "count": " 010 ", "series": "3\n"}],
    )
    response = await client.post("/trainings", json=body, headers=trainer())
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["title"], created["description"]) == ("Arm day", "Curls and dips")
    assert (created["type"], created["difficulty"]) == ("Arm", "Easy")
    assert created["exercises"] == [
        {"name": "Walk", "type": "Cardio", "unit": "metre", "count": 10, "series": 3}
    ]


async def test_body_cannot_set_id_blocked_or_rating(client: Client) -> None:
    body = training_body(id=12345, blocked=True, rating=5, rating_count=9)
    created = (await client.post("/trainings", json=body, headers=trainer())).json()
    assert created["id"] != 12345
    assert (created["blocked"], created["rating"], created["rating_count"]) == (False, 0, 0)


async def test_units_and_numbers_as_strings_are_read(client: Client) -> None:
    exercises = [
        {"name": "Run", "type": "Cardio", "unit": "metre", "count": "5000", "series": "1"},
        {"name": "Jumping jacks", "unit": "", "count": 30},
    ]
    response = await client.post(
        "/trainings",
        json=training_body(type="Cardio", difficulty="Hard", exercises=exercises),
        headers=trainer(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["exercises"] == [
        {"name": "Run", "type": "Cardio", "unit": "metre", "count": 5000, "series": 1},
        {"name": "Jumping jacks", "type": "Cardio", "unit": None, "count": 30, "series": None},
    ]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-jwt"}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        (athlete(), 403),
        (admin(), 403),
        (admin(TRAINER), 403),  # an admin with the trainer's numeric id is not the trainer
    ],
)
async def test_only_trainers_create(client: Client, headers: dict[str, str], status: int) -> None:
    response = await client.post("/trainings", json=training_body(), headers=headers)
    assert response.status_code == status, response.text
    assert "detail" in response.json()
    assert (await client.get("/trainings")).json()["count"] == 0


async def test_a_token_with_a_forged_signature_is_401(client: Client) -> None:
    header, claims, _ = trainer()["Authorization"].removeprefix("Bearer ").split(".")
    forged = f"{header}.{claims}.{'A' * 86}"
    response = await client.post("/trainings", json=training_body(), headers=bearer(forged))
    assert response.status_code == 401


async def test_a_blocked_trainer_is_401(client: Client, create: Create, redis: Redis) -> None:
    training = await create()
    await redis.sadd("fiufit:blocked_users", str(TRAINER))
    response = await client.post("/trainings", json=training_body(), headers=trainer())
    assert response.status_code == 401
    assert response.json()["detail"] == "User is blocked"
    # An admin whose id equals a blocked user's id is someone else: still an admin, on a route
    # that needs one.
    moderated = await client.patch(
        f"/trainings/{training['id']}", json={"blocked": True}, headers=admin(TRAINER)
    )
    assert moderated.status_code == 200, moderated.text
    assert moderated.json()["blocked"] is True


async def test_the_first_request_sees_the_blocked_set_whatever_its_cache_age(
    redis: Redis,
) -> None:
    """A fresh app has not fetched the set yet: that is stale, not fresh, even for a max age
    longer than the machine's uptime (monotonic time starts near zero)."""
    await redis.sadd("fiufit:blocked_users", str(TRAINER))
    fresh = create_app(make_settings(blocked_users_max_age=1e9))
    async with AsyncTestClient(app=fresh) as client:
        response = await client.post("/trainings", json=training_body(), headers=trainer())
    assert response.status_code == 401
    assert response.json()["detail"] == "User is blocked"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"type": "Yoga"}, "Unknown training type 'Yoga'"),
        ({"difficulty": "Extreme"}, "Unknown difficulty 'Extreme'"),
        (
            {
                "exercises": [
                    {"name": "Bicep curl", "count": 1},
                    {"name": "Moonwalk", "count": 1},
                    {"name": "Walk", "unit": "furlong", "count": 1},
                ]
            },
            "Unknown exercises: 'Moonwalk' (no unit), 'Walk' (unit 'furlong')",
        ),
    ],
)
async def test_unknown_catalogue_names_are_400_naming_them(
    client: Client, overrides: dict[str, Any], message: str
) -> None:
    response = await client.post("/trainings", json=training_body(**overrides), headers=trainer())
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "ab"},
        {"title": "x" * 41},
        {"title": None},
        {"description": ""},
        {"description": "y" * 501},
        {"type": None},
        {"exercises": [{"name": "Squat", "count": 0}]},
        {"exercises": [{"name": "Squat", "count": -3}]},
        {"exercises": [{"name": "Squat", "count": 10, "series": 0}]},
        {"exercises": [{"name": "Squat", "count": "ten"}]},
        {"exercises": [{"name": "Squat"}]},
        {"exercises": [{"name": "Squat", "count": 1}] * 51},
        {"exercises": "Squat"},
        # No NUL in a text (Postgres cannot store one); lengths count once trimmed.
        {"title": "Arm\x00day"},
        {"description": "Curls\x00"},
        {"title": "  ab  "},
        # Numbers are integers or their digits, never booleans or other spellings.
        {"exercises": [{"name": "Squat", "count": True}]},
        {"exercises": [{"name": "Squat", "count": "1 0"}]},
        {"exercises": [{"name": "Squat", "count": "+1"}]},
        {"exercises": [{"name": "Squat", "count": "1" * 40}]},
        {"exercises": [{"name": "Squat", "count": 3, "series": False}]},
    ],
)
async def test_invalid_bodies_are_400(client: Client, overrides: dict[str, Any]) -> None:
    response = await client.post("/trainings", json=training_body(**overrides), headers=trainer())
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


@pytest.mark.parametrize("depth", [2_000, 100_000])
async def test_deeply_nested_json_is_400(client: Client, depth: int) -> None:
    nested = b'{"title": ' + b"[" * depth + b"]" * depth + b"}"
    response = await client.post(
        "/trainings", content=nested, headers={**trainer(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "The JSON body is nested too deeply"}


async def test_malformed_json_and_wrong_shapes_are_400(client: Client) -> None:
    broken = await client.post(
        "/trainings",
        content=b'{"title": ',
        headers={**trainer(), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and "detail" in broken.json()
    wrong = await client.post("/trainings", json=["title"], headers=trainer())
    assert wrong.status_code == 400


async def test_missing_training_is_404(client: Client) -> None:
    response = await client.get("/trainings/987654")
    assert response.status_code == 404
    assert response.json() == {"detail": "Training not found."}


async def test_no_token_is_a_401_whatever_the_body(client: Client) -> None:
    """`authenticate` runs before the body is read: an anonymous caller learns nothing about
    what they sent."""
    for body in (b"{not json", b'{"title": 5, "difficulty": "Impossible"}'):
        response = await client.post(
            "/trainings", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, response.text


async def test_public_reads_ignore_a_bad_token(client: Client) -> None:
    bad = {"Authorization": "Bearer not-a-jwt"}
    for path in ("/trainings", "/trainings/types/", "/trainings/documentation/openapi.json"):
        response = await client.get(path, headers=bad)
        assert response.status_code == 200, (path, response.text)
