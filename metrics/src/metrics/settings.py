"""Configuration from environment variables prefixed with ``METRICS_``.

One settings class serves both processes: the API (``fiufit-metrics``) and the consumer
(``metrics-consumer``) run from the same image with the same ConfigMap.
"""

import socket
from functools import lru_cache

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from metrics.base_settings import OriginRegexSettings

# The secrets (a cluster's URLs carry credentials), and the schemes each may have.
URL_SCHEMES = {"mongo_url": ("mongodb", "mongodb+srv"), "redis_url": ("redis", "rediss", "unix")}


class Settings(OriginRegexSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_")

    port: int = 8005
    prometheus_port: int = 9005

    # Secrets (a cluster's URLs carry credentials): required, never empty or a placeholder.
    mongo_url: SecretStr
    mongo_database: str = "fiufit"
    mongo_collection: str = "metrics"
    # Milliseconds a MongoDB call waits for a server before it fails (then: 503 or back-off).
    mongo_timeout_ms: int = Field(default=5000, gt=0)
    redis_url: SecretStr

    # Tokens: verified locally against authentication's JWKS.
    auth_url: str = "http://127.0.0.1:8002"
    jwt_issuer: str = "fiufit-authentication"
    upstream_timeout: float = Field(default=5.0, gt=0)

    # The event stream (README, "The event contract") and the consumer.
    events_stream: str = "fiufit:events"
    dead_letter_stream: str = "fiufit:events:dead"
    dead_letter_maxlen: int = Field(default=100_000, gt=0)
    consumer_group: str = "metrics"
    # Stable per pod (the pod name), so a restarted container re-reads its own pending entries.
    consumer_name: str = Field(default_factory=socket.gethostname, min_length=1)
    consumer_batch_size: int = Field(default=500, gt=0, le=10_000)
    consumer_block_ms: int = Field(default=2000, gt=0)
    # Entries pending this long on another consumer are taken over (that consumer is dead).
    consumer_claim_idle_ms: int = Field(default=60_000, gt=0)
    consumer_claim_interval_seconds: float = Field(default=10.0, gt=0)
    consumer_backoff_max_seconds: float = Field(default=30.0, gt=0)
    consumer_prometheus_port: int = 9006
    # The consumer's own health endpoint (GET /health) for the liveness probe; 0 disables it.
    consumer_health_port: int = 8006
    # Liveness fails when the loop has not turned for this long (a hung process).
    consumer_liveness_seconds: float = Field(default=120.0, gt=0)

    @field_validator("mongo_url", "redis_url")
    @classmethod
    def _real_url(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        field = str(info.field_name)
        return cls.real_secret(field, value, URL_SCHEMES[field])

    @property
    def jwks_url(self) -> str:
        return f"{self.auth_url.rstrip('/')}/auth/.well-known/jwks.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # the environment fills the required fields
