"""Internal movement and ledger endpoints (service credential required)."""

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.exceptions import ClientException, NotFoundException, TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import Response

from payment.errors import Conflict
from payment.inputs import ADDRESS, ID_MAX, MIN_AMOUNT
from payment.ledger import service
from payment.ledger.models import Entry, EntryPage, Kind, Status, TopUpIn, TransferIn, WithdrawalIn
from payment.ledger.service import Outcome
from payment.security import ApiRequest, require_service_token

# Required, 1 to 200 characters: the check is idempotency_key()'s, with its own 400 (the
# document says so: contract.py).
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="The movement's key: a retry with the same key and body answers the same "
        "entry (200), the same key with another body is a 409",
    ),
]
MAX_PAGE = 500
MAX_OFFSET = 2**62
REPLAY = ResponseSpec(
    Entry, description="A retry of the key: the first request's entry, as it is now"
)
MOVEMENT_ERRORS = [NotFoundException, Conflict]


def idempotency_key(value: str | None) -> str:
    if value is None or not 1 <= len(value) <= 200:
        raise ClientException("Idempotency-Key header is required (1 to 200 characters)")
    return value


def respond(outcome: Outcome) -> Response[Any]:
    """201 with the new entry and its Location, 200 for a retry of the key, 400 (with the
    failed entry) for insufficient funds."""
    entry = Entry.of(outcome.row).model_dump(mode="json")
    if outcome.insufficient_funds:
        return Response({"detail": outcome.row.failure_reason, "entry": entry}, status_code=400)
    if outcome.replayed:
        return Response(entry, status_code=200)
    location = f"/payment/transactions/{outcome.row.id}"
    return Response(entry, status_code=201, headers={"Location": location})


class MovementController(Controller):
    path = "/payment"
    tags = ("movements",)
    guards = (require_service_token,)

    @post(
        "/transfers",
        status_code=201,
        responses={200: REPLAY},
        raises=MOVEMENT_ERRORS,
    )
    async def transfer(
        self,
        data: JSONBody[TransferIn],
        request: ApiRequest,
        key: IdempotencyKey = None,
    ) -> Response[Entry]:
        return respond(await service.transfer(request.services, idempotency_key(key), data))

    @post(
        "/withdrawals",
        status_code=201,
        responses={200: REPLAY},
        raises=[*MOVEMENT_ERRORS, TooManyRequestsException],
    )
    async def withdraw(
        self,
        data: JSONBody[WithdrawalIn],
        request: ApiRequest,
        key: IdempotencyKey = None,
    ) -> Response[Entry]:
        return respond(await service.withdraw(request.services, idempotency_key(key), data))

    @post(
        "/top-ups",
        status_code=201,
        responses={200: REPLAY},
        raises=MOVEMENT_ERRORS,
    )
    async def top_up(
        self,
        data: JSONBody[TopUpIn],
        request: ApiRequest,
        key: IdempotencyKey = None,
    ) -> Response[Entry]:
        return respond(await service.top_up(request.services, idempotency_key(key), data))

    @get("/transactions")
    async def transactions(
        self,
        request: ApiRequest,
        # schema_extra: the bounds as the integers the code compares with (Litestar writes
        # floats, and 2**63 - 1 as a float is 2**63, which the code refuses).
        offset: Annotated[
            int,
            QueryParameter(ge=0, le=MAX_OFFSET, schema_extra={"minimum": 0, "maximum": MAX_OFFSET}),
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 10,
        # The service checks these two (400 with its own words); schema_extra publishes them.
        address: Annotated[
            str | None,
            QueryParameter(
                description="Movements from or to this address (any case)",
                schema_extra={"pattern": ADDRESS},
            ),
        ] = None,
        min_amount: Annotated[
            str | None,
            QueryParameter(
                description="ETH: movements of at least this amount, a plain decimal string "
                "(at most 18 decimals)",
                schema_extra={"pattern": MIN_AMOUNT},
            ),
        ] = None,
        kind: FromQuery[Kind | None] = None,
        status: FromQuery[Status | None] = None,
        user_id: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=ID_MAX,
                description="Movements this user sent or received",
                schema_extra={"minimum": 1, "maximum": ID_MAX},
            ),
        ] = None,
    ) -> EntryPage:
        return await service.transactions(
            request.services,
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
        self,
        # Any integer is routed here; one beyond the ids is a 404 (db.found), as an unknown one.
        entry_id: Annotated[int, PathParameter(schema_extra={"minimum": 1, "maximum": ID_MAX})],
        request: ApiRequest,
    ) -> Entry:
        return await service.transaction(request.services, entry_id)
