"""Configuration from environment variables prefixed with ``TRAININGS_``."""

import logging
import os
import re
from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

# Variables still read under their old name, and the name that replaces it.
DEPRECATED_ENV = {"TRAININGS_MAX_MEDIA_BYTES": "TRAININGS_MAX_IMAGE_BYTES"}

# Values that mean "nobody filled this in": envsubst leaves "" for an unset variable, a template
# copied by hand keeps "$NAME" / "${NAME}", and examples say "changeme". A service started with
# one of these as a secret would fail open (compare_digest("", "") is true), so it must not start.
_PLACEHOLDER = re.compile(
    r"""^(
        \$\{?[A-Za-z_][A-Za-z0-9_]*\}?      # $NAME or ${NAME}
      | <[^<>]*>                          # <service-token>
      | change[-_ ]?me | changeit | placeholder | secret | password | todo | tbd | xxx+
      | none | null | undefined
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def refuse_empty_password(name: str, url: str) -> None:
    """A URL rendered from a template with its password unset (`redis://:@host`) is refused."""
    userinfo, at, _ = urlsplit(url).netloc.rpartition("@")
    if at and userinfo.partition(":")[1] and not userinfo.partition(":")[2]:
        raise ValueError(f"{name} has an empty password: set the real value")


def refuse_placeholder(name: str, value: str) -> str:
    """The value itself, unless it is empty, blank or a placeholder (never echoed back)."""
    stripped = value.strip()
    if not stripped or _PLACEHOLDER.match(stripped) or "$" + "{" in stripped:
        raise ValueError(f"{name} is empty or a placeholder: set the real value")
    return stripped


class Settings(BaseSettings):
    # Errors never repeat the input: a malformed URL may still carry a password. Fields with a
    # deprecated alias are still set by their name in code (populate_by_name).
    model_config = SettingsConfigDict(
        env_prefix="TRAININGS_", extra="ignore", hide_input_in_errors=True, populate_by_name=True
    )

    host: str = "0.0.0.0"
    port: int = 8003
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9003
    cors_allowed_origins: list[str] = [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://localhost:8081",
        "http://localhost:19006",
    ]
    # The back office is deployed on Vercel.
    cors_allowed_origin_regex: str = r"https://.*\.vercel\.app"

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
    def _required_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        name = f"TRAININGS_{(info.field_name or '').upper()}"
        return SecretStr(refuse_placeholder(name, value.get_secret_value()))

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("TRAININGS_DATABASE_URL must be a postgresql:// URL")
        refuse_empty_password("TRAININGS_DATABASE_URL", value.get_secret_value())
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("TRAININGS_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        refuse_empty_password("TRAININGS_REDIS_URL", value.get_secret_value())
        return value


def warn_deprecated_env() -> None:
    """Logs each deprecated variable the environment still sets (its value is still read)."""
    present = {name.upper() for name in os.environ}
    for old, new in DEPRECATED_ENV.items():
        if old in present:
            log.warning("%s is deprecated and will be removed: set %s instead", old, new)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
