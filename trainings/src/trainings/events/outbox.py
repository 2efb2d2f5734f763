"""Events written to the ``outbox`` table in the transaction of the change they describe.

Metrics this service publishes (label in brackets):
``training_created_count`` [type], ``training_blocked_count`` [type],
``training_unblocked_count`` [type], ``training_favourited_count`` [type],
``training_unfavourited_count`` [type], ``training_rated_count`` [the rate, "1"…"5"],
``training_rating_cleared_count`` [type].
"""

import json
import uuid
from datetime import UTC, datetime

from trainings.db import Connection

SOURCE = "trainings"


def make_event(metric: str, label: str | None = None, value: float = 1) -> dict[str, object]:
    event: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": value,
        "date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": SOURCE,
    }
    if label is not None:
        event["label"] = label
    return event


async def enqueue(conn: Connection, metric: str, label: str | None = None) -> None:
    """Call inside the transaction that makes the change."""
    event = make_event(metric, label)
    await conn.execute(
        "INSERT INTO outbox (id, payload) VALUES ($1, $2::jsonb)",
        uuid.UUID(str(event["id"])),
        json.dumps(event),
    )
