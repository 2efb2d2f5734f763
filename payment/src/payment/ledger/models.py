"""Wire models: request bodies per movement (no body sets ids, statuses or hashes) and entries."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, cast

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from payment.amounts import format_eth
from payment.inputs import ADDRESS_SCHEMA, AMOUNT_SCHEMA, wire_amount
from payment.ledger.repository import Row
from payment.wallets.models import UserId

Amount = Annotated[Decimal, BeforeValidator(wire_amount), WithJsonSchema(AMOUNT_SCHEMA)]
# Any text up to 100 characters; the service answers 400 "address is not a valid Ethereum
# address" unless it is one (ADDRESS_SCHEMA publishes what it takes).
Address = Annotated[str, Field(min_length=1, max_length=100), WithJsonSchema(ADDRESS_SCHEMA)]
Kind = Literal["transfer", "withdrawal", "top_up", "gas_grant", "refund"]
Status = Literal["pending", "submitted", "confirmed", "failed"]


class TransferIn(BaseModel):
    """From one user's wallet to another's (different users). Unknown fields are ignored."""

    sender_id: UserId
    receiver_id: UserId
    amount: Amount


class WithdrawalIn(BaseModel):
    """From a user's wallet to an external address: a plain account (an address with code is a
    400), at least PAYMENT_MIN_WITHDRAWAL ETH. Unknown fields are ignored."""

    user_id: UserId
    address: Address
    amount: Amount


class TopUpIn(BaseModel):
    """From the contract's pool to a user's wallet, by an admin (``actor_id``, recorded in the
    audit log with the entry). Unknown fields are ignored."""

    user_id: UserId
    amount: Amount
    actor_id: UserId = Field(description="The admin who tops the wallet up")


class Entry(BaseModel):
    id: int
    kind: Kind
    sender_id: int | None
    receiver_id: int | None
    sender_address: str
    receiver_address: str
    amount: str = Field(description="ETH, in plain decimal notation")
    status: Status
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
            kind=cast(Kind, row.kind),
            sender_id=row.sender_id,
            receiver_id=row.receiver_id,
            sender_address=row.sender_address,
            receiver_address=row.receiver_address,
            amount=format_eth(row.amount_wei),
            status=cast(Status, row.status),
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
