"""SQL for admin_audit (migration 20261208100000: append-only, UPDATE, DELETE and TRUNCATE
refused for every role)."""

from typing import Any

import asyncpg
import msgspec

from trainings.audit.models import Action, AuditEntry, TargetType
from trainings.db import Connection, conditions
from trainings.trainings.repository import page_limit

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
        None if before is None else msgspec.json.encode(before).decode(),
        None if after is None else msgspec.json.encode(after).decode(),
    )


def _json(value: str | None) -> dict[str, Any] | None:
    return None if value is None else msgspec.json.decode(value)


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor_id=row["actor_id"],
        action=Action(row["action"]),
        target_type=TargetType(row["target_type"]),
        target_id=row["target_id"],
        before=_json(row["before"]),
        after=_json(row["after"]),
    )


async def page(
    conn: Connection,
    *,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Newest first, read backwards on the index of the filters given (each index ends in the
    id; the primary key without a filter), and the count of all the filters' entries."""
    args: list[Any] = []
    where = conditions(
        [
            ("actor_id = {}", actor_id),
            ("action = {}", None if action is None else action.value),
            ("target_type = {}", None if target_type is None else target_type.value),
            ("target_id = {}", target_id),
        ],
        args,
    )
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM admin_audit WHERE {where}"
        f" ORDER BY id DESC LIMIT {page_limit(limit)} OFFSET ${len(args) + 1}",
        *args,
        offset,
    )
    total: int = await conn.fetchval(f"SELECT count(*) FROM admin_audit WHERE {where}", *args)
    return [_entry(row) for row in rows], total
