"""Configuration from environment variables prefixed with ``GOALS_``."""

from functools import lru_cache

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from goals.base_settings import OriginRegexSettings

# The URL secrets, and the schemes each may have.
URL_SCHEMES = {"database_url": ("postgresql", "postgres"), "redis_url": ("redis", "rediss", "unix")}


class Settings(OriginRegexSettings):
    model_config = SettingsConfigDict(env_prefix="GOALS_")

    port: int = 8004
    prometheus_port: int = 9004
    # Also http://localhost (port 80).
    cors_allowed_origins: list[str] = Field(
        default=["http://localhost", "http://localhost:3000", "http://127.0.0.1:3000"]
    )

    # postgresql://user:password@host:port/goals (from a Secret in a cluster).
    database_url: SecretStr
    database_pool_min: int = Field(default=1, ge=0)
    database_pool_max: int = Field(default=10, ge=1)
    # redis://[:password@]host:port/db (from a Secret: it carries Redis's password in a cluster).
    redis_url: SecretStr
    # authentication: JWKS for local token checks, and the image storage endpoints.
    auth_url: str
    # Presented in X-Service-Token to authentication, and required in X-Service-Token on the
    # internal routes (the users service presents it: one credential for every FiuFit service).
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
    # Base64 characters of images one goals list may inline; beyond it (the first image always
    # goes in) images come back null with image_omitted. Bounds the memory of a response.
    list_image_budget_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    # At most this many images are inlined in one list.
    list_max_images: int = Field(default=25, ge=1)

    events_stream: str = "fiufit:events"
    # Run the outbox relay in this process (several replicas may; rows are claimed one by one).
    outbox_relay_enabled: bool = True
    # Outbox relay: rows per batch, idle poll interval (s), retention of sent rows (days).
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    outbox_retention_days: float = Field(default=7, gt=0)

    @field_validator("database_url", "redis_url", "service_token")
    @classmethod
    def _real_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        field = str(info.field_name)
        return cls.real_secret(field, value, URL_SCHEMES.get(field, ()), strip=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
