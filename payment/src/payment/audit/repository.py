"""SQL for admin_audit (migration 20261206100100: append-only, UPDATE and DELETE refused)."""

import json
from typing import Any, cast

import asyncpg

from payment.audit.models import Action, AuditEntry, TargetType
from payment.db import Connection

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
        action,
        target_type,
        target_id,
        None if before is None else json.dumps(before),
        None if after is None else json.dumps(after),
    )


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor_id=row["actor_id"],
        action=cast(Action, row["action"]),
        target_type=cast(TargetType, row["target_type"]),
        target_id=row["target_id"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
    )


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """`column = $n AND ...` for the filters that are set (`TRUE` for none), and their values;
    the columns are the code's own names, never a caller's. Each combination is a statement of
    its own, planned on its index; one statement of `$n IS NULL OR column = $n` terms would get,
    once prepared, a generic plan that can use none."""
    given = [(column, value) for column, value in filters.items() if value is not None]
    terms = [f"{column} = ${n}" for n, (column, _) in enumerate(given, start=1)]
    return " AND ".join(terms) or "TRUE", [value for _, value in given]


async def page(
    conn: Connection,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Newest first, read backwards on the index of the filter given (the actor, the target's
    id with or without its type, the action, each ending in the id; the primary key without
    one), and the count of every entry under the filters."""
    condition, values = _where(
        {
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
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
    total = await conn.fetchval(f"SELECT count(*) FROM admin_audit WHERE {condition}", *values)
    return [_entry(row) for row in rows], int(total)
