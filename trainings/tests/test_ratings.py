import asyncio
from typing import Any

import asyncpg
import pytest

from tests.helpers import ATHLETE, TRAINER, Client, Create, admin, athlete, trainer


def rating_path(training_id: int, user: int = ATHLETE) -> str:
    return f"/users/{user}/trainings/{training_id}"


async def rate(client: Client, training_id: int, value: Any, user: int = ATHLETE) -> int:
    response = await client.put(
        rating_path(training_id, user), json={"rate": value}, headers=athlete(user)
    )
    return response.status_code


async def rating_of(client: Client, training_id: int) -> tuple[int, int]:
    training = (await client.get(f"/trainings/{training_id}")).json()
    return training["rating"], training["rating_count"]


async def test_rate_read_back_replace_and_clear(client: Client, create: Create) -> None:
    training = await create()
    path = rating_path(training["id"])
    missing = await client.get(f"{path}/rating")
    assert missing.status_code == 404 and missing.json() == {"detail": "Rating not found."}

    assert await rate(client, training["id"], 4) == 204
    assert (await client.get(f"{path}/rating")).json() == {"rate": 4}  # public, no token
    assert await rating_of(client, training["id"]) == (4, 1)

    assert await rate(client, training["id"], 2) == 204  # replaces, does not add
    assert (await client.get(f"{path}/rating")).json() == {"rate": 2}
    assert await rating_of(client, training["id"]) == (2, 1)

    assert await rate(client, training["id"], 0) == 204  # the app's "un-rate"
    assert (await client.get(f"{path}/rating")).status_code == 404
    assert await rating_of(client, training["id"]) == (0, 0)
    assert await rate(client, training["id"], 0) == 204  # clearing twice is harmless


@pytest.mark.parametrize(
    ("rates", "mean"),
    [
        ([4, 5], 5),  # 4.5 rounds half up
        ([3, 4], 4),
        ([1, 2, 2], 2),  # 1.67
        ([1, 1, 2], 1),  # 1.33
        ([5, 5, 5, 1], 4),
        ([3, 0], 3),  # a 0 clears, it is not a zero star vote (2023 counted it)
    ],
)
async def test_mean_of_current_rates(
    client: Client, create: Create, rates: list[int], mean: int
) -> None:
    training = await create()
    for user, value in enumerate(rates, start=300):
        assert await rate(client, training["id"], value, user) == 204
    assert (await rating_of(client, training["id"]))[0] == mean


async def test_clearing_one_rate_recomputes_the_mean(client: Client, create: Create) -> None:
    training = await create()
    for user, value in ((301, 5), (302, 1), (303, 3)):
        await rate(client, training["id"], value, user)
    assert await rating_of(client, training["id"]) == (3, 3)
    await rate(client, training["id"], 0, 302)
    assert await rating_of(client, training["id"]) == (4, 2)


async def test_concurrent_rates_keep_the_totals_consistent(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    training = await create()
    values = [(user, (user % 5) + 1) for user in range(400, 440)]
    results = await asyncio.gather(*(rate(client, training["id"], v, u) for u, v in values))
    assert set(results) == {204}
    # Half of them change their mind at the same time, some clearing.
    changes = [(user, user % 3) for user, _ in values[::2]]
    await asyncio.gather(*(rate(client, training["id"], v, u) for u, v in changes))
    stored = await db.fetchrow(
        "SELECT coalesce(sum(rate), 0) AS total, count(*) AS n FROM ratings WHERE training_id = $1",
        training["id"],
    )
    totals = await db.fetchrow(
        "SELECT rating_sum, rating_count FROM trainings WHERE id = $1", training["id"]
    )
    assert (totals["rating_sum"], totals["rating_count"]) == (stored["total"], stored["n"])
    assert stored["n"] == 40 - sum(1 for _, v in changes if v == 0)


@pytest.mark.parametrize("value", [6, -1, 2.5, "abc", None, True, 10**20])
async def test_rates_outside_0_to_5_are_400(client: Client, create: Create, value: Any) -> None:
    training = await create()
    assert await rate(client, training["id"], value) == 400
    assert await rating_of(client, training["id"]) == (0, 0)


async def test_numeric_strings_are_read(client: Client, create: Create) -> None:
    training = await create()
    assert await rate(client, training["id"], "3") == 204
    assert await rating_of(client, training["id"]) == (3, 1)
    assert await rate(client, training["id"], " 04\n") == 204
    assert await rating_of(client, training["id"]) == (4, 1)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (athlete(ATHLETE + 1), 403),
        (admin(), 403),
        (admin(ATHLETE), 403),
    ],
)
async def test_only_the_user_rates_as_themself(
    client: Client, create: Create, headers: dict[str, str], status: int
) -> None:
    training = await create()
    response = await client.put(rating_path(training["id"]), json={"rate": 5}, headers=headers)
    assert response.status_code == status
    assert await rating_of(client, training["id"]) == (0, 0)


async def test_a_trainer_cannot_rate_their_own_training(client: Client, create: Create) -> None:
    training = await create()
    response = await client.put(
        rating_path(training["id"], TRAINER), json={"rate": 5}, headers=trainer()
    )
    assert response.status_code == 403
    other = await client.put(
        rating_path(training["id"], 102), json={"rate": 5}, headers=trainer(102)
    )
    assert other.status_code == 204


async def test_missing_training_is_404(client: Client) -> None:
    assert await rate(client, 987654, 3) == 404
    response = await client.get(f"{rating_path(987654)}/rating")
    assert response.json() == {"detail": "Training not found."}
