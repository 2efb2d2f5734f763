"""SQL for admin_audit (migration 20261206100000: append-only, UPDATE and DELETE refused)."""

import json
from typing import Any

from users.audit.models import Action, AuditEntry, TargetType
from users.db import Connection, where

_COLUMNS = "id, at, actor_id, action, target_type, target_id, before, after"


async def record(
    conn: Connection,
    actor_id: int | None,
    action: Action,
    target_type: TargetType,
    target_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """On the action's own connection, inside its transaction: both commit or neither does."""
    await conn.execute(
        "INSERT INTO admin_audit (actor_id, action, target_type, target_id, before, after)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)",
        actor_id,
        action.value,
        target_type.value,
        target_id,
        None if before is None else json.dumps(before),
        None if after is None else json.dumps(after),
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor_id=row["actor_id"],
        action=Action(row["action"]),
        target_type=TargetType(row["target_type"]),
        target_id=row["target_id"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
    )


async def page(
    conn: Connection,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Newest first, read backwards on the index of the filter given (actor, target id or
    action, each ending in the id; the primary key without one)."""
    condition, values = where(
        {
            "actor_id": actor_id,
            "action": None if action is None else action.value,
            "target_type": None if target_type is None else target_type.value,
            "target_id": target_id,
        }
    )
    n = len(values)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM admin_audit WHERE {condition}"
        f" ORDER BY id DESC OFFSET ${n + 1} LIMIT ${n + 2}",
        *values,
        offset,
        limit,
    )
    total: int = await conn.fetchval(f"SELECT count(*) FROM admin_audit WHERE {condition}", *values)
    return [_entry(r) for r in rows], total
