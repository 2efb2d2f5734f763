"""Configuration from environment variables prefixed with ``GOALS_``."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOALS_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = 8004
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9004
    cors_allowed_origins: list[str] = [
        "http://localhost",
        "http://localhost:3000",
        "http://127.0.0.1:3000",
    ]
    cors_allowed_origin_regex: str | None = r"https://.*\.vercel\.app"

    # postgresql://user:password@host:port/goals (from a Secret in a cluster).
    database_url: SecretStr
    database_pool_min: int = Field(default=1, ge=0)
    database_pool_max: int = Field(default=10, ge=1)
    redis_url: str
    # authentication: JWKS for local token checks, and the image storage endpoints.
    auth_url: str
    # Presented in X-Service-Token to authentication.
    service_token: SecretStr
    jwt_issuer: str = "fiufit-authentication"
    jwks_max_age: float = Field(default=300.0, ge=0)
    # How stale the Redis set of blocked users may be, in seconds.
    blocked_users_max_age: float = Field(default=2.0, ge=0)
    # Seconds allowed for one call to authentication.
    upstream_timeout: float = Field(default=5.0, gt=0)
    # Largest decoded image accepted in a request (authentication enforces its own limit too).
    max_image_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Parallel image downloads when listing goals.
    image_fetch_concurrency: int = Field(default=8, ge=1)

    events_stream: str = "fiufit:events"
    outbox_relay_enabled: bool = True
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    # Seconds between relay passes when nothing wakes it (each write wakes it at once).
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    # Sent events are kept this many days, then purged.
    outbox_retention_days: float = Field(default=7.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
