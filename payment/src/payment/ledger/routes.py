"""Internal movement and ledger endpoints (service credential required)."""

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Response

from payment.ledger import service
from payment.ledger.models import Entry, EntryPage, TopUpIn, TransferIn, WithdrawalIn
from payment.ledger.service import Outcome
from payment.security import require_service_token
from payment.services import Services

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key")]
MAX_PAGE = 500
Kind = Literal["transfer", "withdrawal", "top_up", "gas_grant", "refund"]
Status = Literal["pending", "submitted", "confirmed", "failed"]


def idempotency_key(value: str | None) -> str:
    if value is None or not 1 <= len(value) <= 200:
        raise ClientException("Idempotency-Key header is required (1 to 200 characters)")
    return value


def respond(outcome: Outcome) -> Response[object]:
    entry = Entry.of(outcome.row).model_dump(mode="json")
    if outcome.insufficient_funds:
        return Response({"detail": outcome.row.failure_reason, "entry": entry}, status_code=400)
    return Response(entry, status_code=200 if outcome.replayed else 201)


class MovementController(Controller):
    path = "/payment"
    tags = ("movements",)
    guards = (require_service_token,)

    @post("/transfers", status_code=201)
    async def transfer(
        self,
        data: JSONBody[TransferIn],
        services: NamedDependency[Services],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        return respond(await service.transfer(services, idempotency_key(key), data))

    @post("/withdrawals", status_code=201)
    async def withdraw(
        self,
        data: JSONBody[WithdrawalIn],
        services: NamedDependency[Services],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        return respond(await service.withdraw(services, idempotency_key(key), data))

    @post("/top-ups", status_code=201)
    async def top_up(
        self,
        data: JSONBody[TopUpIn],
        services: NamedDependency[Services],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        return respond(await service.top_up(services, idempotency_key(key), data))

    @get("/transactions")
    async def transactions(
        self,
        services: NamedDependency[Services],
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 10,
        address: FromQuery[str | None] = None,
        min_amount: FromQuery[str | None] = None,
        kind: FromQuery[Kind | None] = None,
        status: FromQuery[Status | None] = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
    ) -> EntryPage:
        return await service.transactions(
            services,
            offset,
            limit,
            address=address,
            min_amount=min_amount,
            kind=kind,
            status=status,
            user_id=user_id,
        )

    @get("/transactions/{entry_id:int}")
    async def transaction(
        self, entry_id: FromPath[int], services: NamedDependency[Services]
    ) -> Entry:
        return await service.transaction(services, entry_id)
