"""The counts the triggers keep (migration 20261201230000_training_counts): every list's `count`
is the number of its matches and every page is the one OFFSET walks to, after creates, blocks,
edits and deletes, for every filter the clients send and a few they do not; and the kept counts
are what a recount from the trainings gives."""

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.helpers import ATHLETE, OTHER_TRAINER, TRAINER, Client, Create, admin, athlete, trainer

# The filters of original-clients.md T4, T5, T8 (its glued trainer_id included), and others.
FILTERS: list[dict[str, Any]] = [
    {},
    {"training_type": "Arm"},
    {"difficulty": "Easy"},
    {"training_type": "Arm", "difficulty": "Easy"},
    {"trainer_id": str(TRAINER)},
    {"trainer_id": str(TRAINER), "training_type": "Arm", "difficulty": "Easy"},
    {"trainer_id": str(TRAINER), "difficulty": "Hard"},
    {"trainer_id": f"{TRAINER}training_type=Arm"},
    {"title": "mor"},
    {"title": "MORNING R"},
    {"title": "morning run by the r"},  # the longest prefix counted (20 characters)
    {"title": "Morning run by the ri"},  # one longer: counted on the title index
    {"trainer_id": str(TRAINER), "title": "mor"},
    {"blocked": "false"},
    {"training_type": "Arm", "blocked": "true"},
    {"title": "mor", "difficulty": "Easy"},
]
TRAINING_KEYS = {"id", "trainer_id", "title", "description", "type", "difficulty", "media",
                 "media_omitted", "exercises", "rating", "rating_count", "blocked"}  # fmt: skip
EXERCISE_KEYS = {"name", "type", "unit", "count", "series"}


async def matching(db: asyncpg.Connection, params: dict[str, Any]) -> list[int]:
    """The ids a search must answer, newest first, from the trainings themselves."""
    trainer_id = params.get("trainer_id")
    rows = await db.fetch(
        """
        SELECT t.id FROM trainings t
        JOIN training_types ty ON ty.id = t.type_id
        JOIN difficulties d ON d.id = t.difficulty_id
        WHERE ($1::text IS NULL OR ty.name = $1) AND ($2::text IS NULL OR d.name = $2)
          AND ($3::text IS NULL OR t.trainer_id::text = $3)
          AND ($4::text IS NULL OR starts_with(lower(t.title), lower($4)))
          AND ($5::text IS NULL OR t.blocked = $5::boolean)
        ORDER BY t.id DESC
        """,
        params.get("training_type"),
        params.get("difficulty"),
        trainer_id,
        params.get("title"),
        params.get("blocked"),
    )
    return [row["id"] for row in rows]


async def page(client: Client, params: dict[str, Any], **paging: int) -> dict[str, Any]:
    response = await client.get("/trainings", params={**params, **paging})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def assert_counts_exact(client: Client, db: asyncpg.Connection) -> None:
    """Each filter's count, as a one-row page and as a page past the end (both count), is the
    number of its matches."""
    for params in FILTERS:
        expected = len(await matching(db, params))
        first = await page(client, params, limit=1)
        beyond = await page(client, params, offset=expected + 3)
        assert (first["count"], beyond["count"]) == (expected, expected), params


async def assert_counts_recount(db: asyncpg.Connection) -> None:
    """The kept counts are those a recount from the trainings writes (rows of 0 aside)."""
    queries = [
        "SELECT * FROM training_counts WHERE trainings <> 0 ORDER BY 1, 2, 3, 4",
        "SELECT * FROM training_title_counts ORDER BY 1",
        "SELECT * FROM training_blocks WHERE trainings <> 0 ORDER BY 1, 2, 3",
    ]

    async def snapshot() -> list[list[tuple[Any, ...]]]:
        return [[tuple(row) for row in await db.fetch(query)] for query in queries]

    transaction = db.transaction()
    await transaction.start()
    try:
        kept = await snapshot()
        await db.execute("SELECT recount_trainings()")
        assert kept == await snapshot()
    finally:
        await transaction.rollback()
    assert await db.fetchval("SELECT count(*) FROM training_title_counts WHERE trainings = 0") == 0


async def test_counts_stay_exact_through_creates_blocks_edits_and_deletes(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    made = [
        await create(trainer_id, title=title, type=kind, difficulty=level, exercises=[])
        for trainer_id, title, kind, level in [
            (TRAINER, "Morning run by the river", "Cardio", "Easy"),
            (TRAINER, "Morning arms", "Arm", "Easy"),
            (TRAINER, "Evening arms", "Arm", "Easy"),
            (TRAINER, "Morning legs", "Leg", "Hard"),
            (OTHER_TRAINER, "Morning run", "Arm", "Easy"),
            (OTHER_TRAINER, "Core", "Abdomen", "Medium"),
            (OTHER_TRAINER, "Mornings", "Arm", "Hard"),
        ]
    ]
    await assert_counts_exact(client, db)

    for training in made[1:4]:
        blocked = await client.patch(
            f"/trainings/{training['id']}", json={"blocked": True}, headers=admin()
        )
        assert blocked.status_code == 200, blocked.text
    await assert_counts_exact(client, db)

    for training, edit in [
        (made[0], {"title": "Evening run", "type": "Arm", "difficulty": "Easy"}),
        (made[1], {"title": "Morning run by the river, again"}),
        (made[3], {"difficulty": "Easy"}),
    ]:
        edited = await client.patch(f"/trainings/{training['id']}", json=edit, headers=trainer())
        assert edited.status_code == 200, edited.text
    unblocked = await client.patch(
        f"/trainings/{made[2]['id']}", json={"blocked": False}, headers=admin()
    )
    assert unblocked.status_code == 200
    await assert_counts_exact(client, db)

    # No route deletes a training; the counts follow a DELETE all the same.
    await db.execute(
        "DELETE FROM trainings WHERE id = ANY($1::bigint[])", [made[4]["id"], made[1]["id"]]
    )
    await assert_counts_exact(client, db)
    await assert_counts_recount(db)


async def test_ratings_and_descriptions_leave_the_counts_alone(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    training = await create()
    before = await db.fetch("SELECT * FROM training_counts ORDER BY 1, 2, 3, 4")
    rated = await client.put(
        f"/users/{ATHLETE}/trainings/{training['id']}", json={"rate": 4}, headers=athlete()
    )
    assert rated.status_code == 204, rated.text
    edited = await client.patch(
        f"/trainings/{training['id']}", json={"description": "New words"}, headers=trainer()
    )
    assert edited.status_code == 200
    assert await db.fetch("SELECT * FROM training_counts ORDER BY 1, 2, 3, 4") == before
    await assert_counts_recount(db)


async def test_concurrent_creates_are_all_counted(
    client: Client, create: Create, db: asyncpg.Connection
) -> None:
    await asyncio.gather(*(create(title=f"Morning {n}") for n in range(8)))
    await assert_counts_exact(client, db)
    await assert_counts_recount(db)


async def test_truncate_empties_the_counts(client: Client, db: asyncpg.Connection) -> None:
    await db.execute(
        "INSERT INTO trainings (trainer_id, title, description, type_id, difficulty_id)"
        " SELECT 101, 'Morning ' || i, 'Seeded', 3, 1 FROM generate_series(1, 30) i"
    )
    assert (await page(client, {}, limit=1))["count"] == 30
    await db.execute("TRUNCATE trainings CASCADE")
    assert (await page(client, {}, offset=5))["count"] == 0
    for table in ("training_counts", "training_title_counts", "training_blocks"):
        assert await db.fetchval(f"SELECT count(*) FROM {table}") == 0


async def seed_blocks(db: asyncpg.Connection) -> None:
    """Trainings over several blocks of ids (`training_blocks`), with holes and edits."""
    await db.execute(
        "INSERT INTO trainings (trainer_id, title, description, type_id, difficulty_id)"
        " SELECT 101 + i % 2, 'Deep ' || i, 'Seeded', i % 6 + 1, i % 3 + 1"
        " FROM generate_series(1, 2600) i"
    )
    first = await db.fetchval("SELECT min(id) FROM trainings")
    await db.execute("DELETE FROM trainings WHERE (id - $1) % 7 = 3", first)
    await db.execute("UPDATE trainings SET type_id = 3 WHERE (id - $1) % 11 = 5", first)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"training_type": "Arm"},
        {"difficulty": "Easy"},
        {"training_type": "Arm", "difficulty": "Easy"},
        {"trainer_id": str(TRAINER)},
        {"title": "deep 1"},
    ],
)
async def test_deep_offsets_answer_the_page_offset_walks_to(
    client: Client, db: asyncpg.Connection, params: dict[str, Any]
) -> None:
    await seed_blocks(db)
    ids = await matching(db, params)
    offsets = {0, 1, 9, 500, 1023, 1024, 1025, 2047, 2048, len(ids) // 2}
    offsets |= {len(ids) - 10, len(ids) - 1, len(ids), len(ids) + 5}
    for offset in sorted(o for o in offsets if o >= 0):
        found = await page(client, params, offset=offset, limit=10)
        assert [item["id"] for item in found["items"]] == ids[offset : offset + 10], offset
        assert found["count"] == len(ids)
    await assert_counts_recount(db)


@pytest.mark.parametrize(
    "path",
    [
        "/trainings?trainer_id={trainer}",  # T4
        "/trainings?title=arm",  # T5
        "/trainings?training_type=Arm&difficulty=Easy",
        "/trainings?difficulty=Easy",
        "/trainings?trainer_id={trainer}&title=arm",
        "/trainings?offset=0&limit=2",  # T8
        "/trainings?offset=1&limit=2&training_type=Arm&difficulty=Easy&trainer_id={trainer}",
        "/trainings?offset=2&limit=1",
        "/users/{athlete}/trainings",  # T10
    ],
)
async def test_every_list_shape_answers_the_same_shape(
    client: Client, create: Create, path: str
) -> None:
    for n in range(4):
        training = await create(title=f"Arm day {n}")
        added = await client.post(
            f"/users/{ATHLETE}/trainings", json={"training_id": training["id"]}, headers=athlete()
        )
        assert added.status_code == 204
    response = await client.get(path.format(trainer=TRAINER, athlete=ATHLETE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "offset", "limit", "count"} and body["items"]
    for item in body["items"]:
        assert set(item) == TRAINING_KEYS
        assert item["exercises"] and all(set(e) == EXERCISE_KEYS for e in item["exercises"])
