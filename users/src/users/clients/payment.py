"""The payment service (internal): wallets, balances and ledger entries.

Wallets are created at sign-up when payment answers, otherwise lazily: a call that finds no
wallet creates it (`POST /payment/wallets` is idempotent) and tries once more.
"""

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

from litestar.exceptions import HTTPException

from users.clients.upstream import Upstream
from users.errors import UpstreamError

log = logging.getLogger(__name__)

T = TypeVar("T")


def eth(amount: Decimal) -> str:
    """Plain decimal notation ("0.00001", never "1E-5")."""
    return format(amount.normalize(), "f")


class PaymentClient:
    def __init__(self, upstream: Upstream) -> None:
        self._up = upstream

    async def ensure_wallet(self, user_id: int) -> str:
        body = await self._up.json("POST", "/payment/wallets", json={"user_id": user_id})
        return str(body["address"])

    async def try_create_wallet(self, user_id: int) -> None:
        """At sign-up: a payment outage must not stop the sign-up (the wallet comes later)."""
        try:
            await self.ensure_wallet(user_id)
        except HTTPException as error:
            log.warning("wallet for user %s deferred: %s", user_id, error.detail)

    async def _with_wallets(self, user_ids: list[int], call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except UpstreamError as error:
            if error.status_code != 404:
                raise
        for user_id in user_ids:
            await self.ensure_wallet(user_id)
        return await call()

    async def balance(self, user_id: int) -> str:
        async def get() -> str:
            body = await self._up.json("GET", f"/payment/wallets/{user_id}/balance")
            return str(body["balance"])

        return await self._with_wallets([user_id], get)

    async def _move(self, path: str, body: dict[str, Any], key: str, owners: list[int]) -> Any:
        async def post() -> Any:
            return await self._up.json("POST", path, json=body, headers={"Idempotency-Key": key})

        return await self._with_wallets(owners, post)

    async def transfer(self, sender: int, receiver: int, amount: Decimal, key: str) -> Any:
        body = {"sender_id": sender, "receiver_id": receiver, "amount": eth(amount)}
        return await self._move("/payment/transfers", body, key, [sender, receiver])

    async def withdraw(self, user_id: int, address: str, amount: Decimal, key: str) -> Any:
        body = {"user_id": user_id, "address": address, "amount": eth(amount)}
        return await self._move("/payment/withdrawals", body, key, [user_id])

    async def top_up(self, user_id: int, amount: Decimal, key: str, admin_id: int) -> Any:
        """`actor_id`: payment records the admin in its audit log, with the ledger row."""
        body = {"user_id": user_id, "amount": eth(amount), "actor_id": admin_id}
        return await self._move("/payment/top-ups", body, key, [user_id])

    async def transactions(self, params: dict[str, Any]) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return await self._up.json("GET", "/payment/transactions", params=query)

    async def unlink_wallet(self, user_id: int) -> None:
        """At account deletion: 409 (passed on) while the wallet holds more than dust or has
        movements in flight; idempotent otherwise (the ledger keeps its rows, unlinked)."""
        await self._up.call("DELETE", f"/payment/wallets/{user_id}")

    async def wallet(self, user_id: int) -> Any:
        return await self._up.json("GET", f"/payment/wallets/{user_id}")

    async def audit(self, params: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = await self._up.json("GET", "/payment/audit", params=params)
        return page
