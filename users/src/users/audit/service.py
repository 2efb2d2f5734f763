"""Reading the audit log (admins only; the routes' guard checks that). Each service keeps the
log of the admin actions on its own data (users: blocks, suspensions, admins, reports,
deletions; trainings: training blocks; payment: top-ups), so a page is the newest entries of
the logs the filters can match, merged by time. Only the logs that can hold the action or the
target type asked for are read. A log whose service is down is named in `unavailable`, so the
page never passes for the whole record when it is not; a users outage is a 503 as anywhere."""

import asyncio
from datetime import datetime
from typing import Any

import msgspec

from users.audit import repository
from users.audit.models import Action, AuditEntry, AuditPage, Source, TargetType
from users.errors import ServiceUnavailable
from users.pagination import envelope
from users.services import Services

# What each log can hold (the CHECKs of each service's admin_audit).
ACTIONS = {
    Source.TRAININGS: {Action.TRAINING_BLOCKED, Action.TRAINING_UNBLOCKED},
    Source.PAYMENT: {Action.WALLET_TOPPED_UP},
}
TARGETS = {Source.TRAININGS: {TargetType.TRAINING}, Source.PAYMENT: {TargetType.USER}}
OWN_ACTIONS = set(Action) - set().union(*ACTIONS.values())
OWN_TARGETS = {TargetType.USER, TargetType.ADMIN, TargetType.REPORT}
REMOTE_PAGE = 100  # the largest page trainings and payment give
MAX_MERGED = 10_000  # how deep a page may end (routes.py bounds the offset by it)


def _sources(action: Action | None, target_type: TargetType | None) -> list[Source]:
    def holds(actions: set[Action], targets: set[TargetType]) -> bool:
        return (action is None or action in actions) and (
            target_type is None or target_type in targets
        )

    found = [Source.USERS] if holds(OWN_ACTIONS, OWN_TARGETS) else []
    return found + [s for s in (Source.TRAININGS, Source.PAYMENT) if holds(ACTIONS[s], TARGETS[s])]


async def _remote(
    services: Services, source: Source, filters: dict[str, Any], count: int
) -> tuple[list[AuditEntry], int]:
    """The newest `count` entries of another service's log, and how many it holds."""
    read = services.trainings.audit if source is Source.TRAININGS else services.payment.audit
    entries: list[AuditEntry] = []
    total = 0
    while True:
        want = min(REMOTE_PAGE, count - len(entries))
        params = {**filters, "offset": len(entries), "limit": want}
        page = await read(params)
        total = int(page["total"])
        batch = msgspec.convert(page["items"], list[AuditEntry], strict=False)
        entries += [msgspec.structs.replace(entry, source=source) for entry in batch]
        if len(batch) < want or len(entries) >= count:
            return entries, total


def _newest_first(entry: AuditEntry) -> tuple[datetime, int]:
    return entry.at, entry.id


async def page(
    services: Services,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> AuditPage:
    sources = _sources(action, target_type)
    if sources == [Source.USERS]:  # one log: read as deep as asked, on its indexes
        async with services.pool.acquire() as conn:
            items, total = await repository.page(
                conn, actor_id, action, target_type, target_id, offset, limit
            )
        return _page(items, total, offset, limit, [])
    filters = {
        key: value
        for key, value in {
            "actor_id": actor_id,
            "action": None if action is None else action.value,
            "target_type": None if target_type is None else target_type.value,
            "target_id": target_id,
        }.items()
        if value is not None
    }

    async def own() -> tuple[list[AuditEntry], int]:
        if Source.USERS not in sources:
            return [], 0
        async with services.pool.acquire() as conn:
            return await repository.page(
                conn, actor_id, action, target_type, target_id, 0, offset + limit
            )

    remote = [source for source in sources if source is not Source.USERS]
    mine, *theirs = await asyncio.gather(
        own(),
        *(_remote(services, source, filters, offset + limit) for source in remote),
        return_exceptions=True,
    )
    if isinstance(mine, BaseException):
        raise mine
    logs = [mine]
    unavailable: list[Source] = []
    for source, read in zip(remote, theirs, strict=True):
        if isinstance(read, ServiceUnavailable):
            unavailable.append(source)
        elif isinstance(read, BaseException):
            raise read
        else:
            logs.append(read)
    entries = [entry for found, _ in logs for entry in found]
    items = sorted(entries, key=_newest_first, reverse=True)[offset : offset + limit]
    return _page(items, sum(count for _, count in logs), offset, limit, unavailable)


def _page(
    items: list[AuditEntry], total: int, offset: int, limit: int, unavailable: list[Source]
) -> AuditPage:
    shape = envelope(len(items), total, offset, limit)
    return AuditPage(
        items=items,
        total=shape["total"],
        page=shape["page"],
        size=shape["size"],
        pages=shape["pages"],
        unavailable=unavailable,
    )
