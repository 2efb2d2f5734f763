"""Configuration from environment variables prefixed with ``USERS_``."""

import re
from functools import lru_cache

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
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


def refuse_placeholder(name: str, value: str) -> str:
    """The value itself, unless it is empty, blank or a placeholder (never echoed back)."""
    stripped = value.strip()
    if not stripped or _PLACEHOLDER.match(stripped) or "$" + "{" in stripped:
        raise ValueError(f"{name} is empty or a placeholder: set the real value")
    return stripped


class Settings(BaseSettings):
    # Errors never repeat the input: a malformed URL may still carry a password.
    model_config = SettingsConfigDict(
        env_prefix="USERS_", extra="ignore", hide_input_in_errors=True, populate_by_name=True
    )

    host: str = "0.0.0.0"
    port: int = 8000
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9000
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    # The back office runs on Vercel (production and preview deployments).
    cors_allowed_origin_regex: str = r"https://.*\.vercel\.app"

    # Postgres db `users` (users, admins, follows, outbox).
    # From a Secret: it may carry the database password.
    database_url: SecretStr
    database_pool_min: int = Field(default=2, ge=1)
    database_pool_max: int = Field(default=10, ge=1)
    # Seconds a request waits for a pooled connection before it answers 503.
    database_pool_timeout: float = Field(default=5.0, gt=0)
    # Rate-limit counters and the blocked-users set every service reads.
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Where the outbox relay publishes; unset means redis_url.
    events_redis_url: str | None = None
    events_stream: str = "fiufit:events"
    # Run the outbox relay in this process (several replicas may; rows are claimed one by one).
    # USERS_OUTBOX_RELAY is its former name, still read.
    outbox_relay_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices("USERS_OUTBOX_RELAY_ENABLED", "USERS_OUTBOX_RELAY"),
    )
    # Outbox relay: rows per batch, idle poll interval (s), retention of sent rows (days).
    outbox_batch_size: int = Field(default=100, ge=1, le=1000)
    outbox_poll_interval: float = Field(default=0.5, gt=0)
    outbox_retention_days: float = Field(default=7, gt=0)
    # Seconds between re-writes of the blocked-users set from the database (heals Redis blips).
    blocked_sync_interval: float = Field(default=15.0, gt=0)
    # MongoDB wire protocol: `<database>.user_location` holds the GeoJSON positions.
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_database: str = "fiufit"
    mongo_timeout_ms: int = Field(default=5000, gt=0)

    auth_url: str = "http://127.0.0.1:8002"
    payment_url: str = "http://127.0.0.1:8020"
    # Presented in X-Service-Token to authentication and payment.
    service_token: SecretStr
    jwt_issuer: str = "fiufit-authentication"
    # Seconds allowed for one call to authentication or payment.
    upstream_timeout: float = Field(default=10.0, gt=0)

    # The first admin, created at start-up when missing (an empty e-mail means none); the
    # password is then required.
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    bootstrap_admin_username: str = "admin"

    # Login attempts allowed per window, per client address and per account.
    login_attempts_per_client: int = Field(default=30, ge=1)
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=60, ge=1)
    # Sign-ups (e-mail and Google) allowed per window, per client address and per e-mail.
    signup_attempts_per_client: int = Field(default=20, ge=1)
    signup_attempts_per_email: int = Field(default=5, ge=1)
    signup_window_seconds: int = Field(default=3600, ge=1)
    # Password-recovery requests allowed per window, per client address and per username.
    recovery_attempts_per_client: int = Field(default=10, ge=1)
    recovery_attempts_per_account: int = Field(default=3, ge=1)
    recovery_window_seconds: int = Field(default=3600, ge=1)
    # Take the client address from the LAST X-Forwarded-For hop: the one the trusted proxy in
    # front (the gateway, the ingress) wrote. Earlier hops are whatever the client sent.
    trust_forwarded_for: bool = False

    # Nearby search radius in metres: the default, and the cap applied to larger requests.
    default_radius: int = Field(default=1000, gt=0)
    max_radius: int = Field(default=50_000, gt=0)
    # Sign-up bodies carry a base64 avatar.
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)

    @field_validator("database_url", "service_token")
    @classmethod
    def _required_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        name = f"USERS_{(info.field_name or '').upper()}"
        return SecretStr(refuse_placeholder(name, value.get_secret_value()))

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("USERS_DATABASE_URL must be a postgresql:// URL")
        return value

    @field_validator("bootstrap_admin_email")
    @classmethod
    def _blank_email_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _bootstrap_password_when_email(self) -> "Settings":
        if self.bootstrap_admin_email:
            password = self.bootstrap_admin_password
            refuse_placeholder(
                "USERS_BOOTSTRAP_ADMIN_PASSWORD", password.get_secret_value() if password else ""
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
