from typing import Any

import asyncpg
import pytest

from tests.helpers import OTHER_TRAINER, TRAINER, Client, Create, admin


async def seed(db: asyncpg.Connection, count: int, trainer_id: int = TRAINER) -> None:
    """Many plain trainings at once, straight into the table (type Leg, difficulty Medium)."""
    await db.executemany(
        "INSERT INTO trainings (trainer_id, title, description, type_id, difficulty_id)"
        " VALUES ($1, $2, 'Seeded', 2, 2)",
        [(trainer_id, f"Seeded {i:03d}") for i in range(count)],
    )


async def search(client: Client, **params: Any) -> dict[str, Any]:
    response = await client.get("/trainings", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_empty_catalogue_page(client: Client) -> None:
    assert await search(client) == {"items": [], "offset": 0, "limit": 10, "count": 0}


async def test_filters_combine_with_and(client: Client, create: Create) -> None:
    await create(title="Morning run", type="Cardio", difficulty="Easy", exercises=[])
    await create(title="Morning legs", type="Leg", difficulty="Hard", exercises=[])
    await create(title="Evening run", type="Cardio", difficulty="Hard", exercises=[])
    await create(OTHER_TRAINER, title="Morning walk", type="Cardio", difficulty="Easy")

    assert titles(await search(client, title="morning")) == [
        "Morning walk",
        "Morning legs",
        "Morning run",
    ]
    assert titles(await search(client, training_type="Cardio", difficulty="Easy")) == [
        "Morning walk",
        "Morning run",
    ]
    assert titles(await search(client, difficulty="Hard")) == ["Evening run", "Morning legs"]
    mine = await search(client, trainer_id=str(TRAINER))
    assert mine["count"] == 3
    assert {item["trainer_id"] for item in mine["items"]} == {str(TRAINER)}
    combined = await search(
        client, trainer_id=TRAINER, title="MORNING", training_type="Cardio", difficulty="Easy"
    )
    assert titles(combined) == ["Morning run"] and combined["count"] == 1


async def test_title_is_a_prefix_with_like_characters_taken_literally(
    client: Client, create: Create
) -> None:
    await create(title="Abs 100 percent")
    await create(title="Abs_fast")
    await create(title="Absolute")
    assert titles(await search(client, title="abs_")) == ["Abs_fast"]
    assert titles(await search(client, title="Abs%")) == []
    assert titles(await search(client, title="solute")) == []  # a prefix, not a substring
    assert (await search(client, title=""))["count"] == 3  # an empty filter is no filter


async def test_trainer_id_that_cannot_be_an_id_matches_nothing(
    client: Client, create: Create
) -> None:
    await create()
    # The back office glues parameters together: trainer_id=5training_type=Arm.
    for trainer_id in ("5training_type=Arm", "abc", "-1", "99999999999999999999"):
        assert (await search(client, trainer_id=trainer_id))["count"] == 0


async def test_unknown_type_or_difficulty_is_400(client: Client) -> None:
    for params in ({"training_type": "Yoga"}, {"difficulty": "easy"}):
        response = await client.get("/trainings", params=params)
        assert response.status_code == 400
        assert "Unknown" in response.json()["detail"]


async def test_paging_walks_every_match_once(client: Client, db: asyncpg.Connection) -> None:
    await seed(db, 25)
    seen: list[int] = []
    for offset in (0, 10, 20):
        page = await search(client, offset=offset, limit=10)
        assert (page["offset"], page["limit"], page["count"]) == (offset, 10, 25)
        seen += [item["id"] for item in page["items"]]
    assert len(seen) == 25 == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # newest first, stable
    beyond = await search(client, offset=25)
    assert beyond == {"items": [], "offset": 25, "limit": 10, "count": 25}
    last = await search(client, offset=24, limit=5)
    assert len(last["items"]) == 1 and last["count"] == 25


async def test_limit_is_capped_at_25(client: Client, db: asyncpg.Connection) -> None:
    await seed(db, 120)
    page = await search(client, limit=5000)
    assert (len(page["items"]), page["limit"], page["count"]) == (25, 25, 120)
    huge = await search(client, limit=10**30)
    assert huge["limit"] == 25
    assert (await search(client, limit=25))["limit"] == 25  # the back office's largest page


@pytest.mark.parametrize(
    "params",
    [
        {"offset": -1},
        {"limit": 0},
        {"limit": -5},
        {"offset": "ten"},
        {"limit": "1.5"},
        {"offset": 2**31},
        {"blocked": "maybe"},
        {"title": "x" * 101},
        {"title": "Arm\x00"},  # Postgres cannot hold a NUL: it was a 500
    ],
)
async def test_bad_paging_is_400(client: Client, params: dict[str, Any]) -> None:
    response = await client.get("/trainings", params=params)
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_blocked_trainings_stay_listed_unless_excluded(
    client: Client, create: Create
) -> None:
    blocked = await create(title="Blocked one")
    await create(title="Visible one")
    response = await client.patch(
        f"/trainings/{blocked['id']}", json={"blocked": True}, headers=admin()
    )
    assert response.status_code == 200
    everything = await search(client)
    assert [(i["title"], i["blocked"]) for i in everything["items"]] == [
        ("Visible one", False),
        ("Blocked one", True),
    ]
    assert titles(await search(client, blocked="false")) == ["Visible one"]
    assert titles(await search(client, blocked="true")) == ["Blocked one"]


async def test_search_needs_no_token_and_ignores_a_bad_one(client: Client, create: Create) -> None:
    await create()
    response = await client.get("/trainings", headers={"Authorization": "Bearer expired"})
    assert response.status_code == 200 and response.json()["count"] == 1
