"""Internal wallet endpoints (service credential required)."""

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.response import Response

from payment.security import require_service_token
from payment.services import Services
from payment.wallets import service
from payment.wallets.models import BalanceOut, WalletIn, WalletOut

UserPath = FromPath[int]


class WalletController(Controller):
    path = "/payment/wallets"
    tags = ("wallets",)
    guards = (require_service_token,)

    @post("/", status_code=201)
    async def create(
        self, data: JSONBody[WalletIn], services: NamedDependency[Services]
    ) -> Response[WalletOut]:
        wallet, created = await service.create(services, data.user_id)
        return Response(wallet, status_code=201 if created else 200)

    @get("/{user_id:int}")
    async def read(self, user_id: UserPath, services: NamedDependency[Services]) -> WalletOut:
        return await service.read(services, user_id)

    @get("/{user_id:int}/balance")
    async def balance(self, user_id: UserPath, services: NamedDependency[Services]) -> BalanceOut:
        return await service.balance(services, user_id)
