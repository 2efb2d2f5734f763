from typing import Any

import asyncpg
import pytest

from tests.helpers import (
    ATHLETE,
    OTHER_ATHLETE,
    Client,
    Create,
    admin,
    athlete,
    trainer,
)

MINE = f"/users/{ATHLETE}/trainings"


async def favourite(client: Client, training_id: Any, user: int = ATHLETE) -> int:
    response = await client.post(
        f"/users/{user}/trainings", json={"training_id": training_id}, headers=athlete(user)
    )
    return response.status_code


async def test_add_list_and_remove(client: Client, create: Create) -> None:
    training = await create()
    assert await favourite(client, training["id"]) == 204
    page = (await client.get(MINE)).json()  # public: the app sends no token
    assert page == {"items": [training], "offset": 0, "limit": 10, "count": 1}
    again = await client.post(MINE, json={"training_id": training["id"]}, headers=athlete())
    assert again.status_code == 409
    assert again.json() == {"detail": "You already have that training as favourite."}
    removed = await client.delete(f"{MINE}/{training['id']}", headers=athlete())
    assert removed.status_code == 204 and removed.content == b""
    assert (await client.get(MINE)).json()["count"] == 0
    # Removing what is not a favourite is not an error.
    assert (await client.delete(f"{MINE}/{training['id']}", headers=athlete())).status_code == 204


async def test_favourites_are_per_user_and_include_blocked_trainings(
    client: Client, create: Create
) -> None:
    first, second = await create(title="First"), await create(title="Second")
    await favourite(client, first["id"])
    await favourite(client, second["id"], user=OTHER_ATHLETE)
    await client.patch(f"/trainings/{first['id']}", json={"blocked": True}, headers=admin())
    mine = (await client.get(MINE)).json()
    assert [(i["title"], i["blocked"]) for i in mine["items"]] == [("First", True)]
    theirs = (await client.get(f"/users/{OTHER_ATHLETE}/trainings")).json()
    assert [i["title"] for i in theirs["items"]] == ["Second"]
    assert (await client.get("/users/999999/trainings")).json()["count"] == 0


async def test_paging_works_past_the_first_page(client: Client, db: asyncpg.Connection) -> None:
    ids = await db.fetch(
        "INSERT INTO trainings (trainer_id, title, description, type_id, difficulty_id)"
        " SELECT 101, 'Fav ' || n, 'Seeded', 1, 1 FROM generate_series(1, 23) AS n"
        " RETURNING id"
    )
    # Favourited in a known order, one statement each so created_at increases.
    for row in ids:
        assert await favourite(client, row["id"]) == 204
    expected = [row["id"] for row in ids]
    seen: list[int] = []
    for offset in (0, 10, 20):  # offset >= 1 was a 500 in 2023
        page = (await client.get(MINE, params={"offset": offset, "limit": 10})).json()
        assert (page["offset"], page["limit"], page["count"]) == (offset, 10, 23)
        seen += [item["id"] for item in page["items"]]
    assert seen == expected
    beyond = (await client.get(MINE, params={"offset": 40})).json()
    assert beyond == {"items": [], "offset": 40, "limit": 10, "count": 23}
    capped = (await client.get(MINE, params={"limit": 1000})).json()
    assert (len(capped["items"]), capped["limit"]) == (23, 25)
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": "x"}):
        assert (await client.get(MINE, params=bad)).status_code == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 401),
        (athlete(OTHER_ATHLETE), 403),
        (trainer(), 403),
        (admin(), 403),
        (admin(ATHLETE), 403),  # an admin with the athlete's id is not the athlete
    ],
)
async def test_only_the_user_writes_their_favourites(
    client: Client, create: Create, headers: dict[str, str], status: int
) -> None:
    training = await create()
    add = await client.post(MINE, json={"training_id": training["id"]}, headers=headers)
    assert add.status_code == status
    assert await favourite(client, training["id"]) == 204
    remove = await client.delete(f"{MINE}/{training['id']}", headers=headers)
    assert remove.status_code == status
    assert (await client.get(MINE)).json()["count"] == 1


async def test_a_trainer_may_keep_favourites_too(client: Client, create: Create) -> None:
    training = await create()
    response = await client.post(
        "/users/102/trainings", json={"training_id": training["id"]}, headers=trainer(102)
    )
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"training_id": 987654}, 404),
        ({"training_id": "abc"}, 400),
        ({"training_id": 0}, 400),
        ({"training_id": 10**20}, 400),
        ({}, 400),
        (["training_id"], 400),
    ],
)
async def test_bad_favourite_bodies(client: Client, body: Any, status: int) -> None:
    response = await client.post(MINE, json=body, headers=athlete())
    assert response.status_code == status, response.text
    assert "detail" in response.json()


async def test_numeric_string_training_id_is_read(client: Client, create: Create) -> None:
    training = await create()
    assert await favourite(client, str(training["id"])) == 204


async def test_removing_a_favourite_of_a_missing_training_is_404(client: Client) -> None:
    response = await client.delete(f"{MINE}/987654", headers=athlete())
    assert response.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, athlete(), trainer(), trainer(102), admin(), {"Authorization": "Bearer expired"}],
)
async def test_everyone_reads_trainings_favourites_and_rates(
    client: Client, create: Create, headers: dict[str, str]
) -> None:
    training = await create()
    assert await favourite(client, training["id"]) == 204
    put = await client.put(f"{MINE}/{training['id']}", json={"rate": 3}, headers=athlete())
    assert put.status_code == 204
    for path in (
        "/trainings",
        f"/trainings/{training['id']}",
        MINE,
        f"{MINE}/{training['id']}/rating",
        "/trainings/types/",
        "/trainings/exercises/",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, path
