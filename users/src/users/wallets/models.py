"""What clients send and read about wallets: the request bodies and the replies."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

# ETH, as the mobile app allows: positive, at most 1000, at most 18 decimals.
Amount = Annotated[Decimal, Field(gt=0, le=1000, decimal_places=18, allow_inf_nan=False)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^0x[0-9a-fA-F]{40}$")]


class DepositCreate(BaseModel):
    receiver_id: int = Field(ge=1)
    sender_id: int = Field(ge=1)
    amount: Amount


class ExtractionCreate(BaseModel):
    receiver_address: Address
    sender_id: int = Field(ge=1)
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
