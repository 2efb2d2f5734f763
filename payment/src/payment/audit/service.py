"""Reading the audit log (the route's guard checks the service credential)."""

from payment.audit import repository
from payment.audit.models import Action, AuditPage, TargetType
from payment.db import connection
from payment.services import Services


async def page(
    services: Services,
    actor_id: int | None,
    action: Action | None,
    target_type: TargetType | None,
    target_id: int | None,
    offset: int,
    limit: int,
) -> AuditPage:
    async with connection(services.pool) as conn:
        items, total = await repository.page(
            conn, actor_id, action, target_type, target_id, offset, limit
        )
    return AuditPage(items=items, total=total)
