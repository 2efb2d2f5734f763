"""The wallet routes: address, balance, transfers, withdrawals, top-ups, ledger."""

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from users.errors import Conflict, TooManyRequests
from users.pagination import Limit, Offset, UserId, clamp
from users.security import ApiRequest, admin_only
from users.wallets import service
from users.wallets.models import (
    DepositCreate,
    ExtractionCreate,
    Movement,
    MovementPage,
    TopUpCreate,
    Wallet,
    WalletBalance,
)

IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200)
]


# payment checks the address (400 "address is not a valid Ethereum address"); schema_extra
# publishes what it takes.
WalletAddress = Annotated[
    str | None,
    QueryParameter(
        max_length=42,
        schema_extra={"pattern": r"^(0[xX])?[0-9a-fA-F]{40}$"},
        description="an Ethereum address",
    ),
]
# schema_extra: Litestar drops a bound of 0 from an optional parameter's schema; payment takes
# at most 18 decimals (wei).
Minimum = Annotated[
    float | None,
    QueryParameter(
        ge=0,
        le=10**9,
        schema_extra={"minimum": 0, "multiple_of": 1e-18},
        description="ETH: movements of at least this amount",
    ),
]


def _idempotency_key(idempotency_key: IdempotencyKey = None) -> str:
    """Clients may send their own Idempotency-Key (retries then never pay twice); otherwise
    each request is a new movement."""
    return idempotency_key or str(uuid.uuid4())


class WalletController(Controller):
    path = "/users"
    tags = ("wallets",)
    dependencies = {"key": Provide(_idempotency_key, sync_to_thread=False)}  # noqa: RUF012

    @get("/{user_id:int}/wallet")
    async def wallet(self, user_id: UserId, request: ApiRequest) -> Wallet:
        """Only the owner; never the private key."""
        request.caller.require_self(user_id)
        return await service.wallet(request.services, user_id)

    @get("/{user_id:int}/wallet/balance")
    async def balance(self, user_id: UserId, request: ApiRequest) -> WalletBalance:
        request.caller.require_self_or_admin(user_id)
        return await service.balance(request.services, user_id)

    # 409: an Idempotency-Key already used for another request (payment's answer, passed on).
    @patch("/{user_id:int}/wallet/balance", guards=[admin_only], raises=[Conflict])
    async def top_up(
        self,
        user_id: UserId,
        data: JSONBody[TopUpCreate],
        request: ApiRequest,
        key: NamedDependency[str],
    ) -> Movement:
        """Admins only: funds from the contract to the user's wallet."""
        return await service.top_up(request.services, user_id, data.amount, key, request.caller.id)

    @post("/deposit", status_code=200, raises=[NotFoundException, Conflict])
    async def deposit(
        self,
        data: JSONBody[DepositCreate],
        request: ApiRequest,
        key: NamedDependency[str],
    ) -> Movement:
        """An athlete pays a trainer; `sender_id` must be the caller."""
        request.caller.require_self(data.sender_id)
        return await service.deposit(request.services, data, key)

    @post("/extraction", status_code=200, raises=[NotFoundException, Conflict, TooManyRequests])
    async def extraction(
        self,
        data: JSONBody[ExtractionCreate],
        request: ApiRequest,
        key: NamedDependency[str],
    ) -> Movement:
        """Withdraw to an external address."""
        request.caller.require_self(data.sender_id)
        return await service.extraction(request.services, data, key)

    @get("/transactions", guards=[admin_only])
    async def transactions(
        self,
        request: ApiRequest,
        offset: Offset = 0,
        limit: Limit = 10,
        wallet_address: WalletAddress = None,
        minimum: Minimum = None,
    ) -> MovementPage:
        """Admins only: the ledger, newest first."""
        return await service.transactions(
            request.services, offset, clamp(limit), wallet_address, minimum
        )
