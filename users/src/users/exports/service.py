"""The export: users' own data from one connection, the other services' parts over their
internal APIs, all at once and with no connection held while they answer. A service that is
down makes the export a 503: a partial copy would pass for a complete one."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from users.errors import UpstreamError
from users.exports.models import Export, Person, Position, WalletExport
from users.follows import repository as follows
from users.profiles import repository as users
from users.profiles.avatar import avatar_name
from users.profiles.models import User
from users.reports import repository as reports
from users.services import Services

MAX_PEOPLE = 1000  # per follow list
MAX_MOVEMENTS = 500  # payment's largest page


def _people(found: list[User]) -> list[Person]:
    return [Person(id=user.id, username=user.username) for user in found[:MAX_PEOPLE]]


async def _wallet(services: Services, user_id: int) -> WalletExport:
    try:
        address = str((await services.payment.wallet(user_id))["address"])
    except UpstreamError as error:
        if error.status_code != 404:
            raise
        return WalletExport(address=None, movements=[], movements_total=0)
    page = await services.payment.transactions({"user_id": user_id, "limit": MAX_MOVEMENTS})
    return WalletExport(address=address, movements=page["items"], movements_total=page["total"])


async def export(services: Services, user_id: int) -> Export:
    async with services.pool.acquire() as conn:
        user = await users.get_user(conn, user_id)
        if user is None:
            raise NotFoundException("User not found")
        has_image = await users.has_image(conn, user_id)
        # One more than the cap: whether the list was cut.
        followers = await follows.followers_of(conn, user_id, 0, MAX_PEOPLE + 1)
        followed = await follows.followed_by(conn, user_id, 0, MAX_PEOPLE + 1)
        warnings = await reports.warnings(conn, user_id)
    point, trainings, goals, wallet = await asyncio.gather(
        services.positions.get(user_id),
        services.trainings.export_user(user_id),
        services.goals.export_user(user_id),
        _wallet(services, user_id),
    )
    truncated = (
        len(followers) > MAX_PEOPLE
        or len(followed) > MAX_PEOPLE
        or wallet.movements_total > len(wallet.movements)
        or _cut(trainings)
        or _cut(goals)
    )
    return Export(
        exported_at=datetime.now(UTC),
        profile=user,
        avatar=avatar_name(user_id) if has_image else None,
        position=None if point is None else Position(coordinates=point),
        followers=_people(followers),
        followed=_people(followed),
        warnings=warnings,
        trainings=trainings,
        goals=goals,
        wallet=wallet,
        truncated=truncated,
    )


def _cut(part: Any) -> bool:
    return bool(isinstance(part, dict) and part.get("truncated"))
