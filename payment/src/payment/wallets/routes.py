"""Internal wallet endpoints (service credential required)."""

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Response
from pydantic import BaseModel, Field

from payment.amounts import format_eth
from payment.security import require_service_token
from payment.wallets.service import Wallets

UserPath = FromPath[int]


class WalletIn(BaseModel):
    user_id: int = Field(ge=1, le=2**63 - 1)


class WalletOut(BaseModel):
    user_id: int
    address: str


class BalanceOut(WalletOut):
    balance: str


def _check_id(user_id: int) -> None:
    if not 1 <= user_id <= 2**63 - 1:
        raise NotFoundException("Non existent wallet")


class WalletController(Controller):
    path = "/payment/wallets"
    tags = ("wallets",)
    guards = (require_service_token,)

    @post("/", status_code=201)
    async def create(
        self, data: JSONBody[WalletIn], wallets: NamedDependency[Wallets]
    ) -> Response[WalletOut]:
        wallet, created = await wallets.create(data.user_id)
        body = WalletOut(user_id=wallet.user_id, address=wallet.address)
        return Response(body, status_code=201 if created else 200)

    @get("/{user_id:int}")
    async def read(self, user_id: UserPath, wallets: NamedDependency[Wallets]) -> WalletOut:
        _check_id(user_id)
        wallet = await wallets.get(user_id)
        return WalletOut(user_id=wallet.user_id, address=wallet.address)

    @get("/{user_id:int}/balance")
    async def balance(self, user_id: UserPath, wallets: NamedDependency[Wallets]) -> BalanceOut:
        _check_id(user_id)
        wallet, wei = await wallets.balance(user_id)
        return BalanceOut(user_id=wallet.user_id, address=wallet.address, balance=format_eth(wei))
