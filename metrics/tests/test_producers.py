"""What the producers publish, end to end: each producer's own outbox code writes the events and
its own relay XADDs them to the stream (``producer_outbox.py``, run with that service's
environment: the services are separate projects), the consumer stores them, and the back office
reads the five 2023 counters back. Nothing here copies a producer's payload, so a producer change
that breaks the contract fails this test. Which labels the call sites pass is each producer's own
tests' business; the rows below pass labels as those call sites do."""

import asyncio
import json
import os
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

from metrics.consumer.worker import Consumer
from metrics.db import Collection
from tests.helpers import (
    DEAD,
    REDIS_URL,
    STREAM,
    Client,
    counted_once,
    eventually,
    stored_entries,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("producer_outbox.py")
POSTGRES = os.environ.get("METRICS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


async def publish_as(service: str, rows: list[tuple[str, str | None]]) -> int:
    """Run ``service``'s outbox and relay code, in its own environment, for ``rows``."""
    uv = shutil.which("uv")
    assert uv is not None, "uv runs each producer's code in that producer's environment"
    # Our own VIRTUAL_ENV would point uv at metrics' environment.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    project = ROOT / service
    command = [uv, "run", "--frozen", "--quiet", "--project", str(project), "python", str(SCRIPT)]
    process = await asyncio.create_subprocess_exec(
        *command,
        str(project),
        POSTGRES,
        REDIS_URL,
        STREAM,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(json.dumps(rows).encode())
    assert process.returncode == 0, f"{service}'s outbox code failed:\n{err.decode()}"
    return int(out)


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
    ("goals", "goal_created_count", "distance"),  # goals labels both with the goal's metric
    ("goals", "goal_completed_count", "distance"),
    ("payment", "wallet_created_count", None),
    ("payment", "payment_confirmed_count", "transfer"),
]


async def test_what_the_services_publish_reaches_the_back_office(
    client: Client,
    rollups: Collection,
    redis: Redis,
    run_consumer: Callable[..., Awaitable[Consumer]],
) -> None:
    by_producer: dict[str, list[tuple[str, str | None]]] = {}
    for service, metric, label in PUBLISHED:
        by_producer.setdefault(service, []).append((metric, label))
    published = await asyncio.gather(*(publish_as(*item) for item in by_producer.items()))
    assert sum(published) == len(PUBLISHED)  # each relay published exactly what was written
    await run_consumer()

    async def all_handled() -> bool:  # read and acknowledged, stored or dead-lettered
        groups = await redis.xinfo_groups(STREAM)
        done = (len(PUBLISHED), 0)
        return bool(groups) and (groups[0]["entries-read"], groups[0]["pending"]) == done

    await eventually(all_handled)
    assert await redis.xrange(DEAD) == []  # nothing refused (dead letters go with the ack)
    await counted_once(rollups, len(PUBLISHED))

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
    # Every event as it was published: source, name and label, each counted once with value 1.
    stored = Counter(
        (entry["s"], document["metric"], label, entry["v"])
        for document in await rollups.find({"lv": "second"}).to_list()
        for label, entry in stored_entries(document)
    )
    assert stored == Counter((*row, 1) for row in PUBLISHED)
