"""The wallet facade over payment: every call first checks that the users exist, then asks
payment; ledger entries are mapped to the `Movement` the clients read."""

from decimal import Decimal
from typing import Any

from litestar.exceptions import PermissionDeniedException

from users.clients.payment import eth
from users.pagination import envelope
from users.profiles import service as profiles
from users.services import Services
from users.wallets.models import (
    Balance,
    DepositCreate,
    ExtractionCreate,
    Movement,
    MovementPage,
    Wallet,
    WalletBalance,
)


def movement(entry: dict[str, Any]) -> Movement:
    return Movement(
        id=entry.get("id"),
        kind=entry.get("kind"),
        sender=entry.get("sender_address"),
        receiver=entry.get("receiver_address"),
        amount=str(entry.get("amount")),
        date=str(entry.get("created_at")),
        status=str(entry.get("status")),
        tx_hash=entry.get("tx_hash"),
    )


async def wallet(services: Services, user_id: int) -> Wallet:
    await profiles.get(services, user_id)
    return Wallet(address=await services.payment.ensure_wallet(user_id))


async def balance(services: Services, user_id: int) -> WalletBalance:
    await profiles.get(services, user_id)
    return WalletBalance(balance=Balance(balance=await services.payment.balance(user_id)))


async def top_up(
    services: Services, user_id: int, amount: Decimal, key: str, admin_id: int
) -> Movement:
    await profiles.get(services, user_id)
    return movement(await services.payment.top_up(user_id, amount, key, admin_id))


async def deposit(services: Services, data: DepositCreate, key: str) -> Movement:
    """Only from an athlete to a trainer."""
    sender = await profiles.get(services, data.sender_id)
    receiver = await profiles.get(services, data.receiver_id)
    if not sender.is_athlete or receiver.is_athlete:
        raise PermissionDeniedException("Invalid transfer")
    return movement(await services.payment.transfer(sender.id, receiver.id, data.amount, key))


async def extraction(services: Services, data: ExtractionCreate, key: str) -> Movement:
    await profiles.get(services, data.sender_id)
    entry = await services.payment.withdraw(data.sender_id, data.receiver_address, data.amount, key)
    return movement(entry)


async def transactions(
    services: Services, offset: int, limit: int, address: str | None, minimum: float | None
) -> MovementPage:
    """The ledger, newest first."""
    body = await services.payment.transactions(
        {
            "offset": offset,
            "limit": limit,
            "address": address,
            "min_amount": None if minimum is None else eth(Decimal(str(minimum))),
        }
    )
    items = [movement(entry) for entry in body.get("items", [])]
    total = int(body.get("total", len(items)))
    return MovementPage(items=items, **envelope(len(items), total, offset, limit))
