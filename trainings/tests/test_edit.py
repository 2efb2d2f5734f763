from typing import Any

import asyncpg
import pytest

from tests.helpers import (
    DATABASE_URL,
    OTHER_TRAINER,
    TRAINER,
    Client,
    Create,
    admin,
    athlete,
    create_training,
    trainer,
)
from trainings.trainings import repository

EDIT = {"title": "Leg day", "description": "Squats only"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer garbage"}, 401),
        (athlete(), 403),
        (trainer(OTHER_TRAINER), 403),
        (athlete(TRAINER), 403),  # same id, but the token says athlete: never the owner
        (admin(TRAINER), 200),  # an admin, whatever its id; its content fields are ignored
        (trainer(TRAINER), 200),
    ],
)
async def test_content_edit_matrix(
    client: Client, create: Create, headers: dict[str, str], status: int
) -> None:
    training = await create()
    response = await client.patch(f"/trainings/{training['id']}", json=EDIT, headers=headers)
    assert response.status_code == status, response.text
    after = (await client.get(f"/trainings/{training['id']}")).json()
    edited = status == 200 and headers == trainer(TRAINER)
    assert after["title"] == ("Leg day" if edited else "Arm day")
    if status == 200:
        assert response.json() == after


@pytest.mark.parametrize(
    ("headers", "status", "blocked"),
    [
        ({}, 401, False),
        (athlete(), 403, False),
        (trainer(OTHER_TRAINER), 403, False),
        (trainer(TRAINER), 200, False),  # the owner's "blocked" is ignored
        (admin(), 200, True),
    ],
)
async def test_block_matrix(
    client: Client, create: Create, headers: dict[str, str], status: int, blocked: bool
) -> None:
    training = await create()
    response = await client.patch(
        f"/trainings/{training['id']}", json={"blocked": True}, headers=headers
    )
    assert response.status_code == status, response.text
    assert (await client.get(f"/trainings/{training['id']}")).json()["blocked"] is blocked


async def test_admin_unblocks_and_the_back_office_body_echo_is_tolerated(
    client: Client, create: Create
) -> None:
    training = await create()
    path = f"/trainings/{training['id']}"
    assert (await client.patch(path, json={"blocked": True}, headers=admin())).json()["blocked"]
    # The back office sends the negation of what it read; extra fields are ignored.
    echo = {**training, "blocked": False, "title": "Hacked by admin"}
    after = (await client.patch(path, json=echo, headers=admin())).json()
    assert after["blocked"] is False and after["title"] == "Arm day"


async def test_owner_edits_every_content_field(client: Client, create: Create) -> None:
    training = await create()
    body: dict[str, Any] = {
        "title": "  Leg day  ",
        "description": "Squats and lunges",
        "difficulty": "Hard",  # a 500 in 2023
        "type": "Leg",
        "exercises": [
            {"name": "Squat", "count": 20, "series": 5},
            {"name": "Lunge", "count": "15"},
        ],
        "media": None,
        "rating": 5,
        "trainer_id": "7",
        "id": 1,
    }
    response = await client.patch(f"/trainings/{training['id']}", json=body, headers=trainer())
    assert response.status_code == 200, response.text
    assert response.json() == {
        **training,
        "title": "Leg day",
        "description": "Squats and lunges",
        "difficulty": "Hard",
        "type": "Leg",
        "exercises": [
            {"name": "Squat", "type": "Leg", "unit": None, "count": 20, "series": 5},
            {"name": "Lunge", "type": "Leg", "unit": None, "count": 15, "series": None},
        ],
    }


async def test_mobile_edit_body_keeps_what_it_does_not_send(client: Client, create: Create) -> None:
    training = await create()
    body = {"title": "New title", "description": "New description", "media": None}
    after = (
        await client.patch(f"/trainings/{training['id']}", json=body, headers=trainer())
    ).json()
    assert after["exercises"] == training["exercises"]
    assert (after["difficulty"], after["type"]) == ("Easy", "Arm")
    empty = await client.patch(f"/trainings/{training['id']}", json={}, headers=trainer())
    assert empty.status_code == 200 and empty.json() == after


@pytest.mark.parametrize(
    "body",
    [
        {"title": "no"},
        {"difficulty": "Insane"},
        {"type": "Yoga"},
        {"exercises": [{"name": "Moonwalk", "count": 1}]},
        {"exercises": [{"name": "Squat", "count": 0}]},
        {"blocked": "perhaps"},
        ["title"],
    ],
)
async def test_bad_edits_are_400_and_change_nothing(
    client: Client, create: Create, body: Any
) -> None:
    training = await create()
    response = await client.patch(f"/trainings/{training['id']}", json=body, headers=trainer())
    assert response.status_code == 400, response.text
    assert (await client.get(f"/trainings/{training['id']}")).json() == training


@pytest.mark.parametrize(
    "body",
    [
        {"blocked": 0},  # a JSON boolean only (it read 0 as false)
        {"blocked": "yes"},
        {"blocked": True, "difficulty": "Insane"},  # names are the catalogue's, whoever sends them
        {"blocked": True, "exercises": [{"name": "Moonwalk", "count": 1}]},
    ],
)
async def test_bad_moderations_are_400_and_change_nothing(
    client: Client, create: Create, body: Any
) -> None:
    training = await create()
    response = await client.patch(f"/trainings/{training['id']}", json=body, headers=admin())
    assert response.status_code == 400, response.text
    assert (await client.get(f"/trainings/{training['id']}")).json() == training


async def test_editing_a_missing_training_is_404(client: Client) -> None:
    response = await client.patch("/trainings/424242", json=EDIT, headers=trainer())
    assert response.status_code == 404
    assert response.json() == {"detail": "Training not found."}


async def test_a_trainers_edit_is_scoped_to_them_in_the_sql(client: Client) -> None:
    """Defence in depth: even without the route's ownership check, a trainer's edit locks only
    their own training; an admin's moderation (no trainer) finds any."""
    training = await create_training(client)
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        async with conn.transaction():
            assert await repository.lock(conn, training["id"], OTHER_TRAINER) is None
            assert await repository.lock(conn, training["id"], TRAINER) is not None
            assert await repository.lock(conn, training["id"]) is not None
    finally:
        await conn.close()
