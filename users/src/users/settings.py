"""Configuration from environment variables prefixed with ``USERS_``."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USERS_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = 8000
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9000
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    # The back office runs on Vercel (production and preview deployments).
    cors_allowed_origin_regex: str = r"https://.*\.vercel\.app"

    # Postgres db `users` (users, admins, follows, outbox).
    database_url: str
    database_pool_min: int = Field(default=2, ge=1)
    database_pool_max: int = Field(default=10, ge=1)
    # Rate-limit counters and the blocked-users set every service reads.
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Where the outbox relay publishes; unset means redis_url.
    events_redis_url: str | None = None
    events_stream: str = "fiufit:events"
    # Run the outbox relay in this process (several replicas may; rows are claimed one by one).
    outbox_relay: bool = True
    outbox_poll_interval: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1, le=1000)
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

    # The first admin, created at start-up when missing.
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    bootstrap_admin_username: str = "admin"

    # Login attempts allowed per window, per client address and per account.
    login_attempts_per_client: int = Field(default=30, ge=1)
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=60, ge=1)
    # Trust the first X-Forwarded-For hop (set behind the ingress).
    trust_forwarded_for: bool = False

    # Nearby search radius in metres: the default, and the cap applied to larger requests.
    default_radius: int = Field(default=1000, gt=0)
    max_radius: int = Field(default=50_000, gt=0)
    # Sign-up bodies carry a base64 avatar.
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # required values come from the environment
