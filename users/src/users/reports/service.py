"""Reporting users and trainings, and resolving reports. Every resolution closes all the open
reports on its target in one transaction, with its warning, suspension or block and its audit
entries. A training's facts (its trainer, its state) and its block are trainings'."""

from typing import Any

from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException

from users import blocking, events, outbox
from users.admins.service import set_account_disabled, write_block, write_suspension
from users.audit import repository as audit
from users.audit.models import Action
from users.audit.models import TargetType as AuditTarget
from users.errors import Conflict
from users.pagination import envelope
from users.profiles import repository as users
from users.reports import repository
from users.reports.models import (
    IssuedWarning,
    Outcome,
    QueuedReport,
    Reason,
    Report,
    ReportCreate,
    ReportedTraining,
    ReportPage,
    Resolution,
    Resolved,
    Status,
    TargetType,
)
from users.services import Services
from users.tokens import Caller

ALREADY_REPORTED = {
    TargetType.USER: "You already have an open report on this user",
    TargetType.TRAINING: "You already have an open report on this training",
}
ALREADY_RESOLVED = "Report already resolved"
TRAINING_NOT_FOUND = "Training not found"
# What each kind of target can be resolved with; on a training, the user outcomes act on its
# trainer.
USER_OUTCOMES = {Outcome.DISMISS, Outcome.WARN, Outcome.SUSPEND, Outcome.BLOCK}
OUTCOMES = {
    TargetType.USER: USER_OUTCOMES,
    TargetType.TRAINING: {*USER_OUTCOMES, Outcome.BLOCK_TRAINING},
}
BLOCKS = {Outcome.SUSPEND, Outcome.BLOCK}


async def _training(services: Services, training_id: int) -> ReportedTraining:
    found = await services.trainings.trainings([training_id])
    if not found:
        raise NotFoundException(TRAINING_NOT_FOUND)
    return _reported_training(found[0])


def _reported_training(found: dict[str, Any]) -> ReportedTraining:
    return ReportedTraining(
        id=found["id"],
        title=found["title"],
        trainer_id=found["trainer_id"],
        blocked=found["blocked"],
    )


async def report(
    services: Services,
    reporter: Caller,
    target_type: TargetType,
    target_id: int,
    data: ReportCreate,
    client: str,
) -> Report:
    """Any user reports another user or a training, never themself or their own training."""
    if reporter.role != "user":
        raise PermissionDeniedException("Only users report; admins resolve")
    if target_type is TargetType.USER and reporter.id == target_id:
        raise ClientException("You cannot report yourself")
    await services.limiter.hit("report", client, str(reporter.id))
    if target_type is TargetType.TRAINING:  # with no connection held
        training = await _training(services, target_id)
        if training.trainer_id == reporter.id:
            raise ClientException("You cannot report your own training")
    async with services.pool.acquire() as conn, conn.transaction():
        if target_type is TargetType.USER and await users.get_user(conn, target_id) is None:
            raise NotFoundException("User not found")
        made = await repository.insert(
            conn, reporter.id, target_type, target_id, data.reason, data.details
        )
        if made is None:
            raise Conflict(ALREADY_REPORTED[target_type])
        await outbox.enqueue(conn, events.SOURCE, events.REPORT_OPENED_COUNT, data.reason.value)
    services.relay.notify()
    return made


async def queue(
    services: Services,
    status: Status,
    target_type: TargetType | None,
    reason: Reason | None,
    offset: int,
    limit: int,
) -> ReportPage:
    async with services.pool.acquire() as conn:
        items, total = await repository.queue(conn, status, target_type, reason, offset, limit)
    # The page's trainings in one call: their state is trainings'.
    ids = sorted({q.report.target_id for q in items if q.report.target_type is TargetType.TRAINING})
    if ids:
        found = {t.id: t for t in map(_reported_training, await services.trainings.trainings(ids))}
        items = [
            QueuedReport(
                report=q.report, target=found.get(q.report.target_id), open_reports=q.open_reports
            )
            if q.report.target_type is TargetType.TRAINING
            else q
            for q in items
        ]
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
    action = resolution.action
    if action not in OUTCOMES[found.target_type]:
        raise ClientException(f"{action.value} does not apply to a {found.target_type.value}")
    # Whom a warning, a suspension or a block reaches: the user, or the training's trainer.
    subject = found.target_id
    training: ReportedTraining | None = None
    if found.target_type is TargetType.TRAINING and action is not Outcome.DISMISS:
        training = await _training(services, found.target_id)
        subject = training.trainer_id
    # The other systems first, with no connection held, as the block toggle does: Firebase for
    # a block or a suspension, trainings (with its own audit entry) for a training's block.
    if action in BLOCKS:
        await set_account_disabled(services, subject, True)
    if action is Outcome.BLOCK_TRAINING and training is not None:
        await services.trainings.set_blocked(training.id, True, admin_id, resolution.note)
    async with services.pool.acquire() as conn, conn.transaction():
        current = await repository.get(conn, report_id, for_update=True)
        if current is None or current.status is Status.RESOLVED:  # resolved meanwhile
            raise Conflict(ALREADY_RESOLVED)
        closed = await repository.resolve_target(
            conn, current.target_type, current.target_id, action, resolution.note, admin_id
        )
        if action is Outcome.WARN:
            await repository.warn(conn, subject, current, resolution.note)
        if action in BLOCKS:
            user = await users.get_user_for_update(conn, subject)
            if user is None:
                raise NotFoundException("User not found")
            if resolution.days is not None:
                await write_suspension(conn, user, resolution.days, admin_id)
            elif not user.is_blocked or await users.suspended_until(conn, subject):
                await write_block(conn, user, True, admin_id)  # a suspension becomes a block
        await outbox.enqueue(
            conn,
            events.SOURCE,
            events.REPORT_RESOLVED_COUNT,
            action.value,
            value=len(closed),  # every report the resolution closed
        )
        await audit.record(
            conn,
            admin_id,
            Action.REPORT_RESOLVED,
            AuditTarget.REPORT,
            report_id,
            before={"status": Status.OPEN.value},
            after={
                "status": Status.RESOLVED.value,
                "outcome": action.value,
                "days": resolution.days,
                "note": resolution.note,
                "target_type": current.target_type.value,
                "target_id": current.target_id,
                "closed": [each.id for each in closed],
            },
        )
    if action in BLOCKS:
        await blocking.mark(services.redis, subject, True)
    services.relay.notify()
    resolved = next(each for each in closed if each.id == report_id)
    return Resolved(report=resolved, closed=[each.id for each in closed])


async def warnings(services: Services, user_id: int) -> list[IssuedWarning]:
    async with services.pool.acquire() as conn:
        if await users.get_user(conn, user_id) is None:
            raise NotFoundException("User not found")
        return await repository.warnings(conn, user_id)
