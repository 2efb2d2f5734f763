"""Configuration from environment variables prefixed with ``TRAININGS_``."""

import logging
import os
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from trainings.base_settings import OriginRegexSettings

log = logging.getLogger(__name__)

# Variables still read under their old name, and the name that replaces it.
DEPRECATED_ENV = {"TRAININGS_MAX_MEDIA_BYTES": "TRAININGS_MAX_IMAGE_BYTES"}
# The URL secrets, and the schemes each may have.
URL_SCHEMES = {"database_url": ("postgresql", "postgres"), "redis_url": ("redis", "rediss", "unix")}


class Settings(OriginRegexSettings):
    # Fields with a deprecated alias are still set by their name in code (populate_by_name).
    model_config = SettingsConfigDict(env_prefix="TRAININGS_", populate_by_name=True)

    port: int = 8003
    prometheus_port: int = 9003
    # Also the mobile app's local development servers (ports 8081 and 19006).
    cors_allowed_origins: list[str] = Field(
        default=[
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            "http://localhost:8081",
            "http://localhost:19006",
        ]
    )

    # postgresql://user:password@host:port/trainings; from a Secret.
    database_url: SecretStr
    database_pool_min: int = Field(default=2, ge=0)
    database_pool_max: int = Field(default=10, ge=1)
    # Redis holds the blocked-users set (users service) and the event stream.
    redis_url: SecretStr
    events_stream: str = "fiufit:events"

    # authentication: JWKS for local token verification, storage for media.
    auth_url: str = "http://127.0.0.1:8002"
    jwt_issuer: str = "fiufit-authentication"
    # Credential presented in X-Service-Token to authentication; from a Secret.
    service_token: SecretStr
    # Seconds the blocked-users set (Redis) is cached between refreshes.
    blocked_users_max_age: float = Field(default=2.0, ge=0)
    # Seconds allowed for one call to authentication.
    upstream_timeout: float = Field(default=10.0, gt=0)

    # Largest decoded image accepted; authentication has its own limit and answers 413 as well.
    # TRAININGS_MAX_MEDIA_BYTES, its old name, is still read (deprecated; the new name wins).
    max_image_bytes: int = Field(
        default=5 * 1024 * 1024,
        gt=0,
        validation_alias=AliasChoices("TRAININGS_MAX_IMAGE_BYTES", "TRAININGS_MAX_MEDIA_BYTES"),
    )
    # In-process cache of media by object name (names change on every upload, so entries never
    # go stale); 0 disables it.
    media_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # Media downloads in flight at once for one page of results.
    media_fetch_concurrency: int = Field(default=10, ge=1)
    # Largest page of trainings or favourites (a larger `limit` is capped to it); at most 25.
    max_page_size: int = Field(default=25, ge=1, le=25)
    # Base64 characters of media one response may inline; beyond it (the first media always
    # goes in) media comes back null with media_omitted. Bounds the memory of a response.
    response_media_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    # At most this many trainings of one response carry their media.
    response_media_items: int = Field(default=25, ge=1)

    # Run the outbox relay in this process (several replicas may; rows are claimed one by one).
    outbox_relay_enabled: bool = True
    # Outbox relay: rows per batch, idle poll interval (s), retention of sent rows (days).
    outbox_batch_size: int = Field(default=100, ge=1)
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    outbox_retention_days: float = Field(default=7, gt=0)

    @field_validator("database_url", "redis_url", "service_token")
    @classmethod
    def _real_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        field = str(info.field_name)
        return cls.real_secret(field, value, URL_SCHEMES.get(field, ()), strip=True)


def warn_deprecated_env() -> None:
    """Logs each deprecated variable the environment still sets (its value is still read)."""
    present = {name.upper() for name in os.environ}
    for old, new in DEPRECATED_ENV.items():
        if old in present:
            log.warning("%s is deprecated and will be removed: set %s instead", old, new)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
