"""Events written to the outbox in the caller's transaction (README.md, "Events")."""

import json
import uuid
from datetime import UTC, datetime

from users.db import Connection

SOURCE = "users"

USER_CREATED = "user_created_count"
USER_BY_REGION = "user_by_region_count"
USER_LOGIN = "user_login_count"
USER_BLOCKED = "user_blocked_count"
USER_UNBLOCKED = "user_unblocked_count"
USER_PASSWORD_RECOVERY = "user_password_recovery_count"
USER_FOLLOWED = "user_followed_count"
USER_UNFOLLOWED = "user_unfollowed_count"

USING_EMAIL_PASSWORD = "using_email_password"
USING_IDP = "using_idp"


def event(metric: str, label: str | None = None, value: float = 1) -> dict[str, object]:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "metric": metric,
        "value": value,
        "date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": SOURCE,
    }
    if label:
        body["label"] = label
    return body


async def enqueue(conn: Connection, metric: str, label: str | None = None) -> None:
    """Must run inside the transaction that makes the change the event describes."""
    body = event(metric, label)
    await conn.execute(
        "INSERT INTO outbox (id, payload) VALUES ($1, $2::jsonb)", body["id"], json.dumps(body)
    )
