"""The admin list's `total` comes from a counter the database keeps (migration 20261203100000):
it must equal the rows after every kind of write, concurrent ones included."""

import asyncio
from typing import Any

import asyncpg

from tests.helpers import PNG_B64, Client, insert_user, profile, sign_up


async def listed_total(client: Client, headers: dict[str, str]) -> int:
    response = await client.get("/users", params={"limit": 1}, headers=headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


async def counted(db: asyncpg.Pool) -> int:
    async with db.acquire() as conn:
        rows: int = await conn.fetchval("SELECT count(*) FROM users")
    return rows


async def test_total_follows_sign_ups_blocks_and_undone_sign_ups(
    client: Client, admin_headers: Any, db: asyncpg.Pool
) -> None:
    assert await listed_total(client, admin_headers) == 0
    first = await sign_up(client)
    await sign_up(client)
    assert await listed_total(client, admin_headers) == 2

    blocked = await client.patch(f"/users/status/{first['id']}", headers=admin_headers)
    assert blocked.status_code == 200, blocked.text
    assert await listed_total(client, admin_headers) == 2  # a blocked user is still listed

    # A sign-up whose avatar storage refuses inserts its row, then deletes it (the undo).
    refused = await client.post("/users", json=profile(image="bm90IGFuIGltYWdl"))
    assert refused.status_code == 400, refused.text
    assert await listed_total(client, admin_headers) == 2
    assert (await client.post("/users", json=profile(image=PNG_B64))).status_code == 201
    assert await listed_total(client, admin_headers) == 3 == await counted(db)


async def test_total_stays_exact_under_concurrent_inserts_and_deletes(
    client: Client, admin_headers: Any, db: asyncpg.Pool
) -> None:
    async def insert() -> int:
        async with db.acquire() as conn:
            return (await insert_user(conn, True)).id

    ids = await asyncio.gather(*(insert() for _ in range(30)))

    async def delete(user_id: int) -> None:
        async with db.acquire() as conn:
            await conn.execute("DELETE FROM users WHERE id = $1", user_id)

    await asyncio.gather(*(delete(i) for i in ids[:10]), *(insert() for _ in range(5)))
    async with db.acquire() as conn, conn.transaction():  # one statement of several rows
        await conn.execute("DELETE FROM users WHERE id = ANY($1::bigint[])", ids[10:15])
        await conn.execute("DELETE FROM users WHERE id = -1")  # no row: no change
    assert await listed_total(client, admin_headers) == 20 == await counted(db)


async def test_a_rolled_back_insert_is_not_counted(
    client: Client, admin_headers: Any, db: asyncpg.Pool
) -> None:
    async with db.acquire() as conn:
        await insert_user(conn, True)
        transaction = conn.transaction()
        await transaction.start()
        await insert_user(conn, False)
        await transaction.rollback()
    assert await listed_total(client, admin_headers) == 1 == await counted(db)


async def test_a_deep_page_and_a_page_past_the_end(
    client: Client, make_actor: Any, admin_headers: Any
) -> None:
    actors = [await make_actor() for _ in range(7)]
    page = await client.get("/users", params={"offset": 5, "limit": 5}, headers=admin_headers)
    assert [u["id"] for u in page.json()["items"]] == [a.id for a in actors[5:]]
    assert page.json()["total"] == 7 and page.json()["page"] == 2
    past = await client.get("/users", params={"offset": 7, "limit": 5}, headers=admin_headers)
    assert past.json()["items"] == [] and past.json()["total"] == 7
