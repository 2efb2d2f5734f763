"""Internal movement and ledger endpoints (service credential required)."""

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Response

from payment.amounts import AmountError, parse_eth, to_wei
from payment.ledger.models import Entry, EntryPage, TopUpIn, TransferIn, WithdrawalIn
from payment.ledger.repository import Filters
from payment.ledger.service import Movements, Outcome, checksum_address
from payment.security import require_service_token

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
        movements: NamedDependency[Movements],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        outcome = await movements.transfer(
            idempotency_key(key), data.sender_id, data.receiver_id, data.amount
        )
        return respond(outcome)

    @post("/withdrawals", status_code=201)
    async def withdraw(
        self,
        data: JSONBody[WithdrawalIn],
        movements: NamedDependency[Movements],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        outcome = await movements.withdraw(
            idempotency_key(key), data.user_id, data.address, data.amount
        )
        return respond(outcome)

    @post("/top-ups", status_code=201)
    async def top_up(
        self,
        data: JSONBody[TopUpIn],
        movements: NamedDependency[Movements],
        key: IdempotencyKey = None,
    ) -> Response[object]:
        outcome = await movements.top_up(idempotency_key(key), data.user_id, data.amount)
        return respond(outcome)

    @get("/transactions")
    async def transactions(
        self,
        movements: NamedDependency[Movements],
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 10,
        address: FromQuery[str | None] = None,
        min_amount: FromQuery[str | None] = None,
        kind: FromQuery[Kind | None] = None,
        status: FromQuery[Status | None] = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
    ) -> EntryPage:
        min_wei = None
        if min_amount is not None:
            try:
                min_wei = to_wei(parse_eth(min_amount, allow_zero=True))
            except AmountError as error:
                raise ClientException(f"min_amount: {error}") from error
        filters = Filters(
            address=checksum_address(address) if address is not None else None,
            min_wei=min_wei,
            kind=kind,
            status=status,
            user_id=user_id,
        )
        rows, total = await movements.page(filters, offset, limit)
        return EntryPage(items=[Entry.of(r) for r in rows], total=total, offset=offset, limit=limit)

    @get("/transactions/{entry_id:int}")
    async def transaction(
        self, entry_id: FromPath[int], movements: NamedDependency[Movements]
    ) -> Entry:
        return Entry.of(await movements.get(entry_id))
