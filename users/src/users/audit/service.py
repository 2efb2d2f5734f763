"""Reading the audit log (admins only; the routes' guard checks that)."""

from users.audit import repository
from users.audit.models import Action, AuditPage, TargetType
from users.pagination import envelope
from users.services import Services


async def page(
    services: Services,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> AuditPage:
    async with services.pool.acquire() as conn:
        items, total = await repository.page(
            conn, actor_id, action, target_type, target_id, offset, limit
        )
    return AuditPage(items=items, **envelope(len(items), total, offset, limit))
