"""Internal wallet endpoints (service credential required)."""

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter
from litestar.response import Response

from payment.errors import Conflict
from payment.inputs import ID_MAX
from payment.security import ApiRequest, require_service_token
from payment.wallets import service
from payment.wallets.models import BalanceOut, WalletIn, WalletOut

# Any integer is routed here; one beyond the ids is a 404 (db.found), as an unknown user is.
UserPath = Annotated[
    int,
    PathParameter(description="The user's id", schema_extra={"minimum": 1, "maximum": ID_MAX}),
]


class WalletController(Controller):
    path = "/payment/wallets"
    tags = ("wallets",)
    guards = (require_service_token,)

    @post(
        "/",
        status_code=201,
        description="Creates the user's wallet (201), or answers the one it has (200).",
        responses={200: ResponseSpec(WalletOut, description="The user's wallet existed already")},
    )
    async def create(self, data: JSONBody[WalletIn], request: ApiRequest) -> Response[WalletOut]:
        wallet, created = await service.create(request.services, data.user_id)
        if not created:
            return Response(wallet, status_code=200)
        location = f"/payment/wallets/{wallet.user_id}"
        return Response(wallet, status_code=201, headers={"Location": location})

    @get("/{user_id:int}")
    async def read(self, user_id: UserPath, request: ApiRequest) -> WalletOut:
        return await service.read(request.services, user_id)

    @get("/{user_id:int}/balance")
    async def balance(self, user_id: UserPath, request: ApiRequest) -> BalanceOut:
        return await service.balance(request.services, user_id)

    @delete(
        "/{user_id:int}",
        status_code=204,
        raises=[Conflict],
        description="Unlinks a deleted user from their wallet and ledger rows (204, also for a "
        "user without a wallet). 409 while the wallet holds more than PAYMENT_DELETION_DUST_ETH "
        "of the user's money (withdraw it first) or has movements in flight. The ledger keeps "
        "every row, without the user's id; the wallet's key stays sealed, for the platform to "
        "sweep what is left. The wallet then reads as 404, and a new POST makes a new wallet.",
    )
    async def remove(self, user_id: UserPath, request: ApiRequest) -> None:
        await service.delete(request.services, user_id)
