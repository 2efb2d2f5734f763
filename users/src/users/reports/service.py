"""Reporting users and resolving reports. Every resolution closes all the open reports on its
target in one transaction, with its warning or block and its audit entries."""

from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException

from users import blocking, events, outbox
from users.admins.service import set_account_disabled, write_block, write_suspension
from users.audit import repository as audit
from users.audit.models import Action, TargetType
from users.errors import Conflict
from users.pagination import envelope
from users.profiles import repository as users
from users.reports import repository
from users.reports.models import (
    IssuedWarning,
    Outcome,
    Reason,
    Report,
    ReportCreate,
    ReportPage,
    Resolution,
    Resolved,
    Status,
)
from users.services import Services
from users.tokens import Caller

ALREADY_REPORTED = "You already have an open report on this user"
ALREADY_RESOLVED = "Report already resolved"


async def report_user(
    services: Services, reporter: Caller, target_id: int, data: ReportCreate, client: str
) -> Report:
    if reporter.role != "user":
        raise PermissionDeniedException("Only users report; admins resolve")
    if reporter.id == target_id:
        raise ClientException("You cannot report yourself")
    await services.limiter.hit("report", client, str(reporter.id))
    async with services.pool.acquire() as conn, conn.transaction():
        if await users.get_user(conn, target_id) is None:
            raise NotFoundException("User not found")
        report = await repository.insert(conn, reporter.id, target_id, data.reason, data.details)
        if report is None:
            raise Conflict(ALREADY_REPORTED)
        await outbox.enqueue(conn, events.SOURCE, events.REPORT_OPENED_COUNT, data.reason.value)
    services.relay.notify()
    return report


async def queue(
    services: Services,
    status: Status,
    target_type: str | None,
    reason: Reason | None,
    offset: int,
    limit: int,
) -> ReportPage:
    async with services.pool.acquire() as conn:
        items, total = await repository.queue(conn, status, target_type, reason, offset, limit)
    return ReportPage(items=items, **envelope(len(items), total, offset, limit))


async def resolve(
    services: Services, report_id: int, resolution: Resolution, admin_id: int
) -> Resolved:
    async with services.pool.acquire() as conn:
        found = await repository.get(conn, report_id)
    if found is None:
        raise NotFoundException("Report not found")
    if found.status is Status.RESOLVED:
        raise Conflict(ALREADY_RESOLVED)
    target_id = found.target_id
    blocks = resolution.action in (Outcome.BLOCK, Outcome.SUSPEND)
    if blocks:  # Firebase first, with no connection held, as the block toggle does
        await set_account_disabled(services, target_id, True)
    async with services.pool.acquire() as conn, conn.transaction():
        report = await repository.get(conn, report_id, for_update=True)
        if report is None or report.status is Status.RESOLVED:  # resolved meanwhile
            raise Conflict(ALREADY_RESOLVED)
        closed = await repository.resolve_target(
            conn, report.target_type, target_id, resolution.action, resolution.note, admin_id
        )
        if resolution.action is Outcome.WARN:
            await repository.warn(conn, target_id, report, resolution.note)
        if blocks:
            user = await users.get_user_for_update(conn, target_id)
            if user is None:
                raise NotFoundException("User not found")
            if resolution.days is not None:
                await write_suspension(conn, user, resolution.days, admin_id)
            elif not user.is_blocked or await users.suspended_until(conn, target_id):
                await write_block(conn, user, True, admin_id)  # a suspension becomes a block
        await outbox.enqueue(
            conn,
            events.SOURCE,
            events.REPORT_RESOLVED_COUNT,
            resolution.action.value,
            value=len(closed),  # every report the resolution closed
        )
        await audit.record(
            conn,
            admin_id,
            Action.REPORT_RESOLVED,
            TargetType.REPORT,
            report_id,
            before={"status": Status.OPEN.value},
            after={
                "status": Status.RESOLVED.value,
                "outcome": resolution.action.value,
                "days": resolution.days,
                "note": resolution.note,
                "target_id": target_id,
                "closed": [each.id for each in closed],
            },
        )
    if blocks:
        await blocking.mark(services.redis, target_id, True)
    services.relay.notify()
    resolved = next(each for each in closed if each.id == report_id)
    return Resolved(report=resolved, closed=[each.id for each in closed])


async def warnings(services: Services, user_id: int) -> list[IssuedWarning]:
    async with services.pool.acquire() as conn:
        if await users.get_user(conn, user_id) is None:
            raise NotFoundException("User not found")
        return await repository.warnings(conn, user_id)
