"""Wire models: request bodies per movement (no body sets ids, statuses or hashes) and entries."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from payment.amounts import format_eth, parse_eth
from payment.ledger.repository import Row

Amount = Annotated[Decimal, BeforeValidator(parse_eth)]
UserId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class TransferIn(BaseModel):
    sender_id: UserId
    receiver_id: UserId
    amount: Amount


class WithdrawalIn(BaseModel):
    user_id: UserId
    address: str = Field(min_length=1, max_length=100)
    amount: Amount


class TopUpIn(BaseModel):
    user_id: UserId
    amount: Amount


class Entry(BaseModel):
    id: int
    kind: str
    sender_id: int | None
    receiver_id: int | None
    sender_address: str
    receiver_address: str
    amount: str
    status: str
    tx_hash: str | None
    deposit_tx_hash: str | None
    failure_reason: str | None
    # A refund row: the failed transfer or withdrawal whose deposit it pays back.
    refund_of: int | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Row) -> "Entry":
        return cls(
            id=row.id,
            kind=row.kind,
            sender_id=row.sender_id,
            receiver_id=row.receiver_id,
            sender_address=row.sender_address,
            receiver_address=row.receiver_address,
            amount=format_eth(row.amount_wei),
            status=row.status,
            tx_hash=row.payout_tx_hash or row.deposit_tx_hash,
            deposit_tx_hash=row.deposit_tx_hash,
            failure_reason=row.failure_reason,
            refund_of=row.refund_of,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class EntryPage(BaseModel):
    items: list[Entry]
    total: int
    offset: int
    limit: int
