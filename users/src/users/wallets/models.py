"""What clients send and read about wallets: the request bodies and the replies."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from users.inputs import (
    ID_MAX,
    ID_SCHEMA,
    PAD,
    integer_id,
    number_or_numeral,
    number_or_numeral_schema,
    strip,
)

# ETH, as the mobile app allows: positive, at most 1000, at most 18 decimals (trailing zeros
# aside), as a number or a decimal string.
AMOUNT_NUMERAL = r"^(1000(\.0+)?|[1-9][0-9]{0,2}(\.[0-9]{0,17}[1-9]?0*)?|0\.[0-9]{0,17}[1-9]0*)$"
Amount = Annotated[
    Decimal,
    BeforeValidator(number_or_numeral(AMOUNT_NUMERAL, "amount")),
    Field(gt=0, le=1000, decimal_places=18, allow_inf_nan=False),
    WithJsonSchema(
        number_or_numeral_schema(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "multipleOf": 1e-18},
            AMOUNT_NUMERAL,
            "ETH, more than 0 and at most 1000, at most 18 decimals",
        )
    ),
]
Address = Annotated[
    str, StringConstraints(pattern=rf"^{PAD}0x[0-9a-fA-F]{{40}}{PAD}$"), AfterValidator(strip)
]
UserRef = Annotated[
    int, BeforeValidator(integer_id), Field(ge=1, le=ID_MAX), WithJsonSchema(ID_SCHEMA)
]


class DepositCreate(BaseModel):
    receiver_id: UserRef
    sender_id: UserRef
    amount: Amount


class ExtractionCreate(BaseModel):
    receiver_address: Address
    sender_id: UserRef
    amount: Amount


class TopUpCreate(BaseModel):
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
