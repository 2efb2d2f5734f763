"""Configuration from environment variables prefixed with ``USERS_``."""

from functools import lru_cache

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from users.base_settings import OriginRegexSettings, refuse

POSTGRES = ("postgresql", "postgres")


class Settings(OriginRegexSettings):
    # Fields with a former name are still set by their name in code (populate_by_name).
    model_config = SettingsConfigDict(env_prefix="USERS_", populate_by_name=True)

    port: int = 8000
    prometheus_port: int = 9000

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
    # Seconds between sweeps that lift the suspensions that have run out.
    suspension_sweep_interval: float = Field(default=30.0, gt=0)
    # A deletion step that failed is retried after min seconds, doubling up to max.
    deletion_retry_min: float = Field(default=2.0, gt=0)
    deletion_retry_max: float = Field(default=300.0, gt=0)
    # MongoDB wire protocol: `<database>.user_location` holds the GeoJSON positions.
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_database: str = "fiufit"
    mongo_timeout_ms: int = Field(default=5000, gt=0)

    auth_url: str = "http://127.0.0.1:8002"
    payment_url: str = "http://127.0.0.1:8020"
    # The services that hold the rest of a user's data: deletion and export reach them.
    trainings_url: str = "http://127.0.0.1:8003"
    goals_url: str = "http://127.0.0.1:8004"
    # Presented in X-Service-Token to authentication, payment, trainings and goals.
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
    # Reports (POST /users/{id}/reports) allowed per window, per client address and per reporter.
    report_attempts_per_client: int = Field(default=30, ge=1)
    report_attempts_per_account: int = Field(default=10, ge=1)
    report_window_seconds: int = Field(default=3600, ge=1)
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
    def _real_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        field = str(info.field_name)
        schemes = POSTGRES if field == "database_url" else ()
        return cls.real_secret(field, value, schemes, strip=True)

    @field_validator("bootstrap_admin_email")
    @classmethod
    def _blank_email_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _bootstrap_password_when_email(self) -> "Settings":
        if self.bootstrap_admin_email:
            refuse([self.secret_problem("bootstrap_admin_password", self.bootstrap_admin_password)])
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
