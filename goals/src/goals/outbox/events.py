"""The events goals publishes, in the shape the metrics consumer reads."""

import json
import uuid
from datetime import UTC, datetime

from goals.db import Connection

SOURCE = "goals"
GOAL_CREATED = "goal_created_count"
GOAL_COMPLETED = "goal_completed_count"


def event(metric: str, now: datetime, label: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": 1,
        "date": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": SOURCE,
    }
    if label is not None:
        body["label"] = label
    return body


async def enqueue(conn: Connection, body: dict[str, object], now: datetime) -> None:
    """Call inside the transaction that makes the change the event describes."""
    await conn.execute(
        "INSERT INTO outbox (id, event, created_at) VALUES ($1, $2::jsonb, $3)",
        uuid.UUID(str(body["id"])),
        json.dumps(body),
        now,
    )
