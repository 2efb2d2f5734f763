"""Configuration from environment variables prefixed with ``PAYMENT_``.

Secrets fail closed: an empty value (what ``envsubst`` renders for an unset variable), an
unrendered ``$NAME`` or a well-known placeholder is refused (``base_settings.py``, declared glue),
and the service does not start.
"""

import base64
import binascii
import logging
import os
import re
from decimal import Decimal
from functools import lru_cache
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from payment.base_settings import OriginRegexSettings, refuse

MIN_SERVICE_TOKEN = 16
POSTGRES = ("postgresql", "postgres")

log = logging.getLogger(__name__)

# Variables still read under their old name, and the name that replaces it.
DEPRECATED_ENV = {
    "PAYMENT_DATABASE_POOL_SIZE": "PAYMENT_DATABASE_POOL_MAX",
    "PAYMENT_OUTBOX_INTERVAL": "PAYMENT_OUTBOX_POLL_INTERVAL",
}


class Settings(OriginRegexSettings):
    # Fields with a former name are still set by their name in code (populate_by_name).
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", populate_by_name=True)

    port: int = 8020
    prometheus_port: int = 9120

    # Carries the database password in Kubernetes: a required secret.
    database_url: SecretStr
    database_pool_min: int = Field(default=1, ge=0)
    # PAYMENT_DATABASE_POOL_SIZE is its former name, still read (deprecated).
    database_pool_max: int = Field(
        default=30,
        ge=2,
        validation_alias=AliasChoices("PAYMENT_DATABASE_POOL_MAX", "PAYMENT_DATABASE_POOL_SIZE"),
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    events_stream: str = "fiufit:events"
    # Run the outbox relay in this process (several replicas may; rows are claimed one by one).
    outbox_relay_enabled: bool = True
    # Outbox relay: rows per batch, idle poll interval (s), retention of sent rows (days).
    outbox_batch_size: int = Field(default=100, ge=1, le=1000)
    # PAYMENT_OUTBOX_INTERVAL is its former name, still read (deprecated).
    outbox_poll_interval: float = Field(
        default=1.0,
        gt=0,
        validation_alias=AliasChoices("PAYMENT_OUTBOX_POLL_INTERVAL", "PAYMENT_OUTBOX_INTERVAL"),
    )
    outbox_retention_days: float = Field(default=7, gt=0)

    # Shared credential that the users service presents in X-Service-Token.
    service_token: SecretStr
    # 32-byte urlsafe-base64 key (Fernet) that encrypts wallet private keys at rest.
    wallet_encryption_key: SecretStr

    # Ethereum JSON-RPC endpoint; unset means an in-process eth-tester chain.
    rpc_url: str | None = None
    rpc_timeout: float = Field(default=10.0, gt=0)
    # Owner of the contract: pays out transfers, withdrawals and top-ups. On eth-tester it may
    # be unset (the tester's first funded account is used).
    owner_private_key: SecretStr | None = None
    # Unset: deploy BasicPayments at start-up (once per chain; the address is kept in the DB).
    contract_address: str | None = None
    # ETH the owner deposits into a contract it deploys, so that top-ups have a pool.
    initial_pool: Decimal = Field(default=Decimal("100"), ge=0)
    # ETH the owner sends to each new wallet to pay for its deposit transactions' gas.
    wallet_gas_grant: Decimal = Field(default=Decimal("0.001"), ge=0)
    # Below this owner balance (ETH) every check logs a warning, counts it and, on the first
    # drop, writes an outbox event: the owner pays every payout, grant and top-up's gas.
    owner_balance_alert: Decimal = Field(default=Decimal("0.1"), ge=0)
    # Smallest withdrawal, in ETH: every payout costs the owner gas.
    min_withdrawal: Decimal = Field(default=Decimal("0.001"), gt=0)
    # Withdrawals (new idempotency keys) one user may request per rolling hour.
    withdrawals_per_hour: int = Field(default=10, ge=1)
    # ETH: a wallet whose available balance (the chain's, less its gas grants) is at most this
    # may be deleted with its user; more is the user's money, to withdraw first (409). What is
    # left stays in the unlinked wallet, whose key the platform keeps to sweep it. At least
    # PAYMENT_MIN_WITHDRAWAL (checked below): a balance no withdrawal can take must not make an
    # account undeletable.
    deletion_dust_eth: Decimal = Field(default=Decimal("0.001"), ge=0, decimal_places=18)
    # Largest amount one movement may carry, in ETH.
    max_amount: Decimal = Field(default=Decimal("10"), gt=0)
    # Blocks on top of the receipt's block before a transaction counts as confirmed (1 = mined).
    confirmations: int = Field(default=1, ge=1)
    # EIP-1559 fees: the tip offered (gwei), and the cap = 2 * base fee + tip.
    priority_fee_gwei: Decimal = Field(default=Decimal("1"), ge=0)
    # How long a movement request waits for confirmation before answering with its current state.
    request_wait: float = Field(default=20.0, ge=0)
    # Seconds the lifespan waits for background tasks and busy connections when stopping.
    shutdown_timeout: float = Field(default=10.0, gt=0)
    # The confirmation tracker: how often it runs, and how old a row must be before it steps in.
    tracker_interval: float = Field(default=2.0, gt=0)
    tracker_grace: float = Field(default=5.0, ge=0)
    # A submitted transaction without a receipt after this long is broadcast again (same bytes).
    rebroadcast_after: float = Field(default=30.0, gt=0)
    receipt_poll: float = Field(default=0.01, gt=0)

    @field_validator("service_token")
    @classmethod
    def _service_token(cls, value: SecretStr) -> SecretStr:
        token = cls.real_secret("service_token", value).get_secret_value()
        if len(token) < MIN_SERVICE_TOKEN:
            raise ValueError(
                f"PAYMENT_SERVICE_TOKEN must have at least {MIN_SERVICE_TOKEN} characters"
            )
        return value

    @field_validator("wallet_encryption_key")
    @classmethod
    def _wallet_key(cls, value: SecretStr) -> SecretStr:
        key = cls.real_secret("wallet_encryption_key", value).get_secret_value()
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ValueError("PAYMENT_WALLET_ENCRYPTION_KEY must be 32 url-safe base64 bytes")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr) -> SecretStr:
        return cls.real_secret("database_url", value, POSTGRES)

    @field_validator("owner_private_key")
    @classmethod
    def _owner_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        key = cls.real_secret("owner_private_key", value).get_secret_value()
        if not re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", key.strip()):
            raise ValueError("PAYMENT_OWNER_PRIVATE_KEY must be 32 bytes of hex")
        return value

    @field_validator("rpc_url")
    @classmethod
    def _rpc_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Not a SecretStr, but a provider's URL may carry its API key.
        refuse([cls.secret_problem("rpc_url", value, ("http", "https"))])
        return value

    @model_validator(mode="after")
    def _pool_bounds(self) -> Self:
        if self.database_pool_min > self.database_pool_max:
            raise ValueError("PAYMENT_DATABASE_POOL_MIN must not exceed PAYMENT_DATABASE_POOL_MAX")
        return self

    @model_validator(mode="after")
    def _dust_is_not_withdrawable(self) -> Self:
        if self.deletion_dust_eth < self.min_withdrawal:
            raise ValueError(
                "PAYMENT_DELETION_DUST_ETH must be at least PAYMENT_MIN_WITHDRAWAL: a balance "
                "below the minimum withdrawal could never be withdrawn before a deletion"
            )
        return self

    @model_validator(mode="after")
    def _owner_with_a_real_chain(self) -> Self:
        if self.rpc_url is not None and self.owner_private_key is None:
            raise ValueError("PAYMENT_OWNER_PRIVATE_KEY must be set when PAYMENT_RPC_URL is set")
        return self


def warn_deprecated_env() -> None:
    """Logs each deprecated variable the environment still sets (its value is still read)."""
    present = {name.upper() for name in os.environ}
    for old, new in DEPRECATED_ENV.items():
        if old in present:
            log.warning("%s is deprecated and will be removed: set %s instead", old, new)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
