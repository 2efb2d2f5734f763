"""SQL for reports and warnings (migration 20261207100000)."""

from typing import Any

from users.db import Connection, where
from users.reports.models import (
    IssuedWarning,
    Outcome,
    QueuedReport,
    Reason,
    Report,
    ReportedUser,
    Status,
    TargetType,
)

_COLUMNS = (
    "r.id, r.reporter_id, r.target_type, r.target_id, r.reason, r.details, r.status,"
    " r.created_at, r.outcome, r.note, r.resolved_by, r.resolved_at"
)


def _report(row: Any) -> Report:
    return Report(
        id=row["id"],
        reporter_id=row["reporter_id"],
        target_type=TargetType(row["target_type"]),
        target_id=row["target_id"],
        reason=Reason(row["reason"]),
        details=row["details"],
        status=Status(row["status"]),
        created_at=row["created_at"],
        outcome=None if row["outcome"] is None else Outcome(row["outcome"]),
        note=row["note"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
    )


def _reported_user(row: Any) -> ReportedUser:
    return ReportedUser(
        id=row["user_id"],
        username=row["username"],
        is_blocked=row["is_blocked"],
        suspended_until=row["suspended_until"],
    )


async def insert(
    conn: Connection,
    reporter_id: int,
    target_type: TargetType,
    target_id: int,
    reason: Reason,
    details: str,
) -> Report | None:
    """None when the reporter already has an open report on the target."""
    row = await conn.fetchrow(
        "INSERT INTO reports AS r (reporter_id, target_type, target_id, reason, details)"
        " VALUES ($1, $5, $2, $3, $4)"
        " ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING"
        f" RETURNING {_COLUMNS}",
        reporter_id,
        target_id,
        reason.value,
        details,
        target_type.value,
    )
    return _report(row) if row else None


async def get(conn: Connection, report_id: int, for_update: bool = False) -> Report | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reports r WHERE id = $1{lock}", report_id)
    return _report(row) if row else None


async def resolve_target(
    conn: Connection,
    target_type: TargetType,
    target_id: int,
    outcome: Outcome,
    note: str,
    admin_id: int,
) -> list[Report]:
    """Closes every open report on the target with one outcome; answers them, oldest first."""
    rows = await conn.fetch(
        "UPDATE reports AS r SET status = 'resolved', outcome = $3, note = $4,"
        " resolved_by = $5, resolved_at = now()"
        " WHERE target_type = $1 AND target_id = $2 AND status = 'open'"
        f" RETURNING {_COLUMNS}",
        target_type.value,
        target_id,
        outcome.value,
        note,
        admin_id,
    )
    return sorted((_report(r) for r in rows), key=lambda report: report.id)


async def queue(
    conn: Connection,
    status: Status,
    target_type: TargetType | None,
    reason: Reason | None,
    offset: int,
    limit: int,
) -> tuple[list[QueuedReport], int]:
    """Oldest first, each with its target's current state and open-report count (one
    statement: the count is a lateral lookup on the open-target index, not a query per row).
    A training's state is trainings' to give: its target is None here (reports/service.py)."""
    condition, values = where(
        {
            "r.status": status.value,
            "r.reason": None if reason is None else reason.value,
            "r.target_type": None if target_type is None else target_type.value,
        }
    )
    n = len(values)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, u.id AS user_id, u.username, u.is_blocked, u.suspended_until,"
        " o.open_reports"
        " FROM (SELECT * FROM reports r"
        f"       WHERE {condition} ORDER BY r.id OFFSET ${n + 1} LIMIT ${n + 2}) r"
        " LEFT JOIN users u ON r.target_type = 'user' AND u.id = r.target_id"
        " CROSS JOIN LATERAL (SELECT count(*) AS open_reports FROM reports o"
        "   WHERE o.target_type = r.target_type AND o.target_id = r.target_id"
        "   AND o.status = 'open') o"
        " ORDER BY r.id",
        *values,
        offset,
        limit,
    )
    total: int = await conn.fetchval(f"SELECT count(*) FROM reports r WHERE {condition}", *values)
    items = [
        QueuedReport(
            report=_report(row),
            target=None if row["user_id"] is None else _reported_user(row),
            open_reports=row["open_reports"],
        )
        for row in rows
    ]
    return items, total


async def warn(conn: Connection, user_id: int, report: Report, note: str) -> None:
    await conn.execute(
        "INSERT INTO warnings (user_id, report_id, note) VALUES ($1, $2, $3)",
        user_id,
        report.id,
        note,
    )


async def warnings(conn: Connection, user_id: int) -> list[IssuedWarning]:
    rows = await conn.fetch(
        "SELECT w.id, w.report_id, r.reason, w.note, w.created_at"
        " FROM warnings w JOIN reports r ON r.id = w.report_id"
        " WHERE w.user_id = $1 ORDER BY w.id DESC",
        user_id,
    )
    return [
        IssuedWarning(
            id=r["id"],
            report_id=r["report_id"],
            reason=Reason(r["reason"]),
            note=r["note"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def delete_warnings(conn: Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM warnings WHERE user_id = $1", user_id)
