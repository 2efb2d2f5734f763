"""Configuration from environment variables prefixed with ``GOALS_``."""

import re
from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # Errors never repeat the input: a malformed URL may still carry a password.
    model_config = SettingsConfigDict(
        env_prefix="GOALS_", extra="ignore", hide_input_in_errors=True
    )

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
    # redis://[:password@]host:port/db (from a Secret: it carries Redis's password in a cluster).
    redis_url: SecretStr
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
    def _required_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        name = f"GOALS_{(info.field_name or '').upper()}"
        return SecretStr(refuse_placeholder(name, value.get_secret_value()))

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("GOALS_DATABASE_URL must be a postgresql:// URL")
        refuse_empty_password("GOALS_DATABASE_URL", value.get_secret_value())
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("GOALS_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        refuse_empty_password("GOALS_REDIS_URL", value.get_secret_value())
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
