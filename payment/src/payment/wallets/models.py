"""Wire models of the wallet endpoints (no body sets an address, a key or a balance)."""

from pydantic import BaseModel, Field


class WalletIn(BaseModel):
    user_id: int = Field(ge=1, le=2**63 - 1)


class WalletOut(BaseModel):
    user_id: int
    address: str


class BalanceOut(WalletOut):
    balance: str
