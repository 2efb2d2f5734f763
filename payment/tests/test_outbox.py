"""The outbox (outbox.py, declared glue): an event is published once the change that wrote it is
committed, because the code wakes the relay (the session's relays never poll: see conftest); a
rolled-back change publishes nothing; rows of the previous release's writer are published with
their body, before and after migration 20261201200000 (which only expands the table); sent
rows are purged after the retention, unsent ones never."""

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from redis.exceptions import RedisError

from payment import outbox
from payment.ledger import repository as ledger
from tests import database
from tests.helpers import (
    DATABASE_URL,
    MIGRATIONS,
    POSTGRES,
    STREAM,
    Client,
    eventually,
    new_user_id,
    published,
    running,
    services_of,
    wallet,
)

EXPANSION = "20261201200000_outbox_common_shape.sql"


def body_of_release_1_1(metric: str, label: str | None = None) -> dict[str, Any]:
    """An event as payment 1.1's writer (`events.record`) built it."""
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": 1,
        "date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": "payment",
    }
    if label is not None:
        event["label"] = label
    return event


async def write_as_release_1_1(conn: Any, event: dict[str, Any]) -> None:
    """payment 1.1's writer, verbatim: its pods still run it during the rollout."""
    await conn.execute("INSERT INTO outbox (event) VALUES ($1::jsonb)", json.dumps(event))


async def relay_as_release_1_1(pool: asyncpg.Pool, redis: Redis, stream: str) -> int:
    """payment 1.1's relay (`events.relay_once`), verbatim: its pods still run it too."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """
            SELECT id, event::text AS event FROM outbox WHERE sent_at IS NULL
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
            """,
            100,
        )
        if not rows:
            return 0
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.xadd(stream, {"event": row["event"]})
            await pipe.execute()
        await conn.execute(
            "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
            [row["id"] for row in rows],
        )
        return len(rows)


async def test_a_committed_change_is_published_without_waiting_for_a_poll(
    app: Litestar,
    client: Client,
    redis: Redis,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay, engine = services_of(app).relay, services_of(app).engine

    async def idle() -> bool:  # its first round (drain, then purge) is over: it waits an hour
        return relay._purged_at is not None

    await eventually(idle, "the relay's first round")
    wakes = 0
    wake = engine.notify

    def counted() -> None:
        nonlocal wakes
        wakes += 1
        wake()

    monkeypatch.setattr(engine, "notify", counted)
    await wallet(client)  # the wallet and its event, then the gas grant and its confirmation

    async def both() -> bool:  # on the stream, and marked sent (the relay's commit follows)
        unsent = await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return len(await published(redis)) == 2 and unsent == 0

    await eventually(both, "the wallet's two events on the stream, marked sent")
    events = await published(redis)
    assert sorted((e["metric"], e.get("label")) for e in events) == [
        ("payment_confirmed_count", "gas_grant"),
        ("wallet_created_count", None),
    ]
    assert wakes == 2  # one per commit that wrote an event
    rows = await db.fetch("SELECT id, payload::text AS payload FROM outbox")
    assert sorted(str(row["id"]) for row in rows) == sorted(e["id"] for e in events)
    assert all(json.loads(row["payload"])["id"] == str(row["id"]) for row in rows)


async def test_a_rolled_back_change_publishes_nothing(
    client: Client, redis: Redis, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*_: object) -> None:
        raise RuntimeError("the gas grant cannot be written")

    # The wallet's event is written, then its gas grant fails in the same transaction.
    monkeypatch.setattr(ledger, "insert", refused)
    user_id = new_user_id()
    response = await client.post("/payment/wallets", json={"user_id": user_id})
    assert response.status_code == 500
    monkeypatch.undo()
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
    assert (await client.get(f"/payment/wallets/{user_id}")).status_code == 404

    # A committed change afterwards: once its events are out, the relay has read the outbox.
    await wallet(client)

    async def both() -> bool:
        return len(await published(redis)) == 2

    await eventually(both, "the second wallet's two events on the stream")
    metrics = [e["metric"] for e in await published(redis)]
    assert sorted(metrics) == ["payment_confirmed_count", "wallet_created_count"]


async def test_a_row_of_the_previous_writer_is_published_with_its_body(
    redis: Redis, db: asyncpg.Connection
) -> None:
    event = body_of_release_1_1("payment_confirmed_count", "transfer")
    await write_as_release_1_1(db, event)  # it wakes nobody: a relay's next round publishes it
    async with running():  # a replica, whose first round is that next round

        async def out() -> bool:  # on the stream, and marked sent (the relay's commit follows)
            sent = await db.fetchval("SELECT sent_at IS NOT NULL FROM outbox")
            return len(await published(redis)) == 1 and bool(sent)

        await eventually(out, "the row of 1.1's writer on the stream, marked sent")
    assert await published(redis) == [event]
    row = await db.fetchrow("SELECT id, payload, event FROM outbox")
    assert row is not None and str(row["id"]) == event["id"]
    assert json.loads(row["payload"]) == event and row["event"] is None


@pytest.fixture
async def before_expansion(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A database of its own, migrated as payment 1.1 left it (every migration before the
    outbox expansion), and the folder of those migrations."""
    name = f"payment_outbox_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < EXPANSION:
            shutil.copy(path, folder)
    try:
        yield await database.fresh_database(POSTGRES, name, folder), folder
    finally:
        await database.drop_database(POSTGRES, name)


def roll_back(database_url: str, migrations_dir: Path) -> None:
    """dbmate's rollback: the latest migration's `migrate:down`."""
    subprocess.run(
        [database.dbmate(), "--url", f"{database_url}?sslmode=disable", "--no-dump-schema",
         "--migrations-dir", str(migrations_dir), "rollback"],
        check=True,
        capture_output=True,
    )  # fmt: skip


async def test_the_expansion_keeps_the_previous_release_working_and_rolls_back(
    before_expansion: tuple[str, Path], redis: Redis
) -> None:
    url, folder = before_expansion
    stream = f"fiufit:test-outbox:{uuid.uuid4().hex}"
    async with asyncpg.create_pool(url, min_size=1, max_size=2) as pool:
        # Before: 1.1 wrote three events and published one.
        sent, *unsent = [body_of_release_1_1("wallet_created_count") for _ in range(3)]
        for event in (sent, *unsent):
            await write_as_release_1_1(pool, event)
        mark = "UPDATE outbox SET sent_at = now() WHERE event ->> 'id' = $1"
        await pool.execute(mark, sent["id"])

        shutil.copy(MIGRATIONS / EXPANSION, folder)
        await asyncio.to_thread(database.migrate, url, folder)
        await pool.expire_connections()  # the table changed under cached statements

        # During the rollout: 1.1's writer still writes; its relay publishes nothing and fails.
        during = body_of_release_1_1("payment_failed_count", "withdrawal")
        await write_as_release_1_1(pool, during)
        with pytest.raises(RedisError):
            await relay_as_release_1_1(pool, redis, stream)
        assert await redis.xlen(stream) == 0

        # The new relay publishes every unsent row once, bodies as written, oldest first.
        relay = outbox.OutboxRelay(pool, redis, stream)
        assert await relay.drain() == 3
        assert await published(redis, stream) == [*unsent, during]
        written = [sent, *unsent, during]
        rows = await pool.fetch("SELECT id, payload, sent_at FROM outbox ORDER BY seq")
        assert [str(row["id"]) for row in rows] == [event["id"] for event in written]
        assert [json.loads(row["payload"]) for row in rows] == written
        assert all(row["sent_at"] is not None for row in rows)

        # The new writer; then migrate:down gives 1.1 its table back, with every body.
        async with pool.acquire() as conn, conn.transaction():
            await outbox.enqueue(conn, "payment", "wallet_created_count")
        await asyncio.to_thread(roll_back, url, folder)
        await pool.expire_connections()
        columns = await pool.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = 'outbox' ORDER BY ordinal_position"
        )
        assert [(c["column_name"], c["data_type"]) for c in columns] == [
            ("id", "bigint"),
            ("event", "jsonb"),
            ("created_at", "timestamp with time zone"),
            ("sent_at", "timestamp with time zone"),
        ]
        assert await relay_as_release_1_1(pool, redis, stream) == 1
        [*_, last] = await published(redis, stream)
        assert last["metric"] == "wallet_created_count" and last["source"] == "payment"
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    await redis.delete(stream)


async def test_the_purge_deletes_old_sent_rows_and_keeps_unsent_ones(
    redis: Redis, db: asyncpg.Connection
) -> None:
    now = datetime.now(UTC)
    rows = {
        "sent 8 days ago": (now - timedelta(days=8), now - timedelta(days=8)),
        "sent a day ago": (now - timedelta(days=1), now - timedelta(days=1)),
        "unsent for 30 days": (now - timedelta(days=30), None),
    }
    ids = {}
    for name, (created_at, sent_at) in rows.items():
        event = outbox.event("payment", "wallet_created_count", at=created_at)
        ids[name] = uuid.UUID(str(event["id"]))
        await db.execute(
            "INSERT INTO outbox (id, payload, created_at, sent_at) VALUES ($1, $2::jsonb, $3, $4)",
            ids[name],
            json.dumps(event),
            created_at,
            sent_at,
        )

    async def left() -> dict[uuid.UUID, datetime | None]:
        return {row["id"]: row["sent_at"] for row in await db.fetch("SELECT * FROM outbox")}

    async with asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=1) as pool:
        await outbox.OutboxRelay(pool, redis, STREAM, retention_days=7).purge()
    assert await left() == {
        ids["sent a day ago"]: rows["sent a day ago"][1],
        ids["unsent for 30 days"]: None,
    }

    # The app's relay purges by itself (PAYMENT_OUTBOX_RETENTION_DAYS), in its first round.
    async with running(outbox_retention_days=0.5):

        async def purged() -> bool:
            return ids["sent a day ago"] not in await left()

        await eventually(purged, "the replica's purge")
    assert list(await left()) == [ids["unsent for 30 days"]]  # published by then, not purged
