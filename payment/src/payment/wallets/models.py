"""Wire models of the wallet endpoints (no body sets an address, a key or a balance)."""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from payment.inputs import ID_MAX, ID_SCHEMA, integer_id

UserId = Annotated[
    int, BeforeValidator(integer_id), Field(ge=1, le=ID_MAX), WithJsonSchema(ID_SCHEMA)
]


class WalletIn(BaseModel):
    """The user whose wallet to create (or find). Unknown fields are ignored."""

    user_id: UserId


class WalletOut(BaseModel):
    user_id: int
    address: str


class BalanceOut(WalletOut):
    balance: str = Field(description="ETH, in plain decimal notation")
