"""The wallet facade over payment: address, balance, transfers, withdrawals, top-ups, ledger."""

import uuid
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from pydantic import BaseModel, Field, StringConstraints

from users.pagination import Limit, Offset, UserId, clamp, envelope
from users.profiles import repository
from users.services import Services
from users.tokens import Caller
from users.wallets.payment import eth

# ETH, as the mobile app allows: positive, at most 1000, at most 18 decimals.
Amount = Annotated[Decimal, Field(gt=0, le=1000, decimal_places=18, allow_inf_nan=False)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^0x[0-9a-fA-F]{40}$")]
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200)
]


class Deposit(BaseModel):
    receiver_id: int = Field(ge=1)
    sender_id: int = Field(ge=1)
    amount: Amount


class Extraction(BaseModel):
    receiver_address: Address
    sender_id: int = Field(ge=1)
    amount: Amount


class TopUp(BaseModel):
    amount: Amount


class Wallet(BaseModel):
    address: str


class Balance(BaseModel):
    balance: str


class WalletBalance(BaseModel):
    """Nested twice, as both clients read it: `balance.balance`."""

    balance: Balance


class Movement(BaseModel):
    id: Any
    kind: str | None = None
    sender: str | None
    receiver: str | None
    amount: str
    date: str
    status: str
    tx_hash: str | None = None


class MovementPage(BaseModel):
    items: list[Movement]
    total: int
    page: int
    size: int
    pages: int


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


async def _user(services: Services, user_id: int) -> Any:
    async with services.pool.acquire() as conn:
        user = await repository.get_user(conn, user_id)
    if user is None:
        raise NotFoundException("User not found")
    return user


def _idempotency_key(idempotency_key: IdempotencyKey = None) -> str:
    """Clients may send their own Idempotency-Key (retries then never pay twice); otherwise
    each request is a new movement."""
    return idempotency_key or str(uuid.uuid4())


class WalletController(Controller):
    path = "/users"
    tags = ("wallets",)
    dependencies = {"key": Provide(_idempotency_key, sync_to_thread=False)}  # noqa: RUF012

    @get("/{user_id:int}/wallet")
    async def wallet(
        self, user_id: UserId, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Wallet:
        """Only the owner; never the private key."""
        caller.require_self(user_id)
        await _user(services, user_id)
        return Wallet(address=await services.payment.ensure_wallet(user_id))

    @get("/{user_id:int}/wallet/balance")
    async def balance(
        self, user_id: UserId, caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> WalletBalance:
        caller.require_self_or_admin(user_id)
        await _user(services, user_id)
        return WalletBalance(balance=Balance(balance=await services.payment.balance(user_id)))

    @patch("/{user_id:int}/wallet/balance")
    async def top_up(
        self,
        user_id: UserId,
        data: JSONBody[TopUp],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        key: NamedDependency[str],
    ) -> Movement:
        """Admins only: funds from the contract to the user's wallet."""
        caller.require_admin()
        await _user(services, user_id)
        entry = await services.payment.top_up(user_id, data.amount, key)
        return movement(entry)

    @post("/deposit", status_code=200)
    async def deposit(
        self,
        data: JSONBody[Deposit],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        key: NamedDependency[str],
    ) -> Movement:
        """An athlete pays a trainer; `sender_id` must be the caller."""
        caller.require_self(data.sender_id)
        sender = await _user(services, data.sender_id)
        receiver = await _user(services, data.receiver_id)
        if not sender.is_athlete or receiver.is_athlete:
            raise PermissionDeniedException("Invalid transfer")
        entry = await services.payment.transfer(sender.id, receiver.id, data.amount, key)
        return movement(entry)

    @post("/extraction", status_code=200)
    async def extraction(
        self,
        data: JSONBody[Extraction],
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        key: NamedDependency[str],
    ) -> Movement:
        """Withdraw to an external address."""
        caller.require_self(data.sender_id)
        await _user(services, data.sender_id)
        entry = await services.payment.withdraw(
            data.sender_id, data.receiver_address, data.amount, key
        )
        return movement(entry)

    @get("/transactions")
    async def transactions(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        offset: Offset = 0,
        limit: Limit = 10,
        wallet_address: Annotated[str | None, QueryParameter(max_length=42)] = None,
        minimum: Annotated[float | None, QueryParameter(ge=0, le=10**9)] = None,
    ) -> MovementPage:
        """Admins only: the ledger, newest first."""
        caller.require_admin()
        limit = clamp(limit)
        body = await services.payment.transactions(
            {
                "offset": offset,
                "limit": limit,
                "address": wallet_address,
                "min_amount": None if minimum is None else eth(Decimal(str(minimum))),
            }
        )
        items = [movement(entry) for entry in body.get("items", [])]
        total = int(body.get("total", len(items)))
        return MovementPage(items=items, **envelope(len(items), total, offset, limit))
