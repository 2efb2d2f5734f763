"""What the producers publish, end to end: their outbox relays XADD ``{"event": <JSON text>}``
(the payload as Postgres ``jsonb`` renders it), the consumer stores it, and the back office reads
the five 2023 counters back. The events below are built exactly as users, trainings, goals and
payment build them (their ``events``/``outbox`` modules: same names, labels and fields)."""

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from redis.asyncio import Redis

from metrics.consumer.worker import Consumer
from metrics.store import Collection
from tests.conftest import Client, eventually, publish


def outbox_payload(source: str, metric: str, label: str | None = None) -> str:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": 1,
        "date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
    }
    if label is not None:
        body["label"] = label
    # jsonb text: keys reordered (shorter first), ", " and ": " separators.
    return json.dumps(dict(sorted(body.items(), key=lambda kv: (len(kv[0]), kv[0]))))


PUBLISHED = [
    ("users", "user_created_count", "using_email_password"),
    ("users", "user_created_count", "using_email_password"),
    ("users", "user_created_count", "using_idp"),
    ("users", "user_by_region_count", "Palermo"),
    ("users", "user_by_region_count", "Villa Crespo"),
    ("users", "user_by_region_count", "Palermo"),
    ("users", "user_by_region_count", "O'Higgins"),  # the apostrophe that killed 2023's consumer
    ("users", "user_login_count", "using_email_password"),
    ("users", "user_login_count", "using_idp"),
    ("users", "user_login_count", "using_idp"),
    ("users", "user_login_count", "using_idp"),
    ("users", "user_blocked_count", None),
    ("users", "user_password_recovery_count", None),
    ("users", "user_password_recovery_count", None),
    ("users", "user_followed_count", None),
    ("trainings", "training_created_count", "Arm"),
    ("trainings", "training_rated_count", "5"),
    ("trainings", "training_favourited_count", "Cardio"),
    ("goals", "goal_created_count", None),
    ("goals", "goal_completed_count", "distance"),
    ("payment", "wallet_created_count", None),
    ("payment", "payment_confirmed_count", "transfer"),
]


async def test_what_the_services_publish_reaches_the_back_office(
    client: Client,
    events: Collection,
    redis: Redis,
    run_consumer: Callable[..., Awaitable[Consumer]],
) -> None:
    await publish(redis, *(outbox_payload(*row) for row in PUBLISHED))
    consumer = await run_consumer()

    async def all_stored() -> bool:
        return await events.count_documents({}) == len(PUBLISHED)

    await eventually(all_stored)
    assert consumer.status.dead_lettered == 0

    async def counters(name: str) -> object:
        response = await client.get("/metrics", params={"name": name})
        assert response.status_code == 200
        return response.json()

    assert await counters("user_created_count") == [
        {"label": "using_email_password", "count": 2},
        {"label": "using_idp", "count": 1},
    ]
    assert await counters("user_login_count") == [
        {"label": "using_idp", "count": 3},
        {"label": "using_email_password", "count": 1},
    ]
    assert await counters("user_by_region_count") == [
        {"label": "Palermo", "count": 2},
        {"label": "O'Higgins", "count": 1},
        {"label": "Villa Crespo", "count": 1},
    ]
    assert await counters("user_blocked_count") == [{"label": "total", "count": 1}]
    assert await counters("user_password_recovery_count") == [{"label": "total", "count": 2}]
    names = (await client.get("/metrics/names/")).json()
    assert {n["name"] for n in names} == {metric for _, metric, _ in PUBLISHED}
    sources = await events.distinct("source")
    assert sorted(sources) == ["goals", "payment", "trainings", "users"]
