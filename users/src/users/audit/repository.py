"""SQL for admin_audit (migration 20261206100000: append-only, UPDATE and DELETE refused)."""

import json
from typing import Any

from users.audit.models import Action, AuditEntry, TargetType
from users.db import Connection

_COLUMNS = "id, at, actor_id, action, target_type, target_id, before, after"


async def record(
    conn: Connection,
    actor_id: int,
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
    """Newest first. Each filter is a `$n IS NULL OR column = $n` term, so one statement (and
    one prepared plan per shape the planner picks) serves every combination; each column has
    an index ending in id."""
    where = (
        "($1::bigint IS NULL OR actor_id = $1) AND ($2::text IS NULL OR action = $2)"
        " AND ($3::text IS NULL OR target_type = $3) AND ($4::bigint IS NULL OR target_id = $4)"
    )
    arguments = (
        actor_id,
        None if action is None else action.value,
        None if target_type is None else target_type.value,
        target_id,
    )
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM admin_audit WHERE {where} ORDER BY id DESC OFFSET $5 LIMIT $6",
        *arguments,
        offset,
        limit,
    )
    total: int = await conn.fetchval(f"SELECT count(*) FROM admin_audit WHERE {where}", *arguments)
    return [_entry(r) for r in rows], total
