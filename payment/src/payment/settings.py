"""Configuration from environment variables prefixed with ``PAYMENT_``."""

from decimal import Decimal
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = 8020
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9120
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    cors_allowed_origin_regex: str = r"https://.*\.vercel\.app"

    database_url: str = "postgresql://postgres@127.0.0.1:5432/payment"
    database_pool_size: int = Field(default=30, ge=2)
    redis_url: str = "redis://127.0.0.1:6379/0"
    events_stream: str = "fiufit:events"

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
    outbox_interval: float = Field(default=1.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
