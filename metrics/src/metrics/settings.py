"""Configuration from environment variables prefixed with ``METRICS_``.

One settings class serves both processes: the API (``fiufit-metrics``) and the consumer
(``metrics-consumer``) run from the same image with the same ConfigMap.
"""

import re
import socket
import sys
from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_WORDS = {
    "changeme", "change-me", "change_me", "placeholder", "secret", "password", "todo", "xxx",
    "none", "null", "undefined", "dummy", "example",
}  # fmt: skip
# `$NAME` or `${NAME}` left by an envsubst that did not know NAME, `<your key>`, `dummy-…`.
_PLACEHOLDER_SHAPES = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[^>]*>|dummy-.*)$")
_SCHEMES = {
    "mongo_url": ("mongodb", "mongodb+srv"),
    "redis_url": ("redis", "rediss", "unix"),
}


def placeholder_reason(value: str) -> str | None:
    """Why a secret's value is not a real one (empty, a placeholder), or None when it may be."""
    stripped = value.strip()
    if not stripped:
        return "is empty"
    if stripped.lower() in _PLACEHOLDER_WORDS or _PLACEHOLDER_SHAPES.match(stripped):
        return "is a placeholder, not a real value"
    if "${" in stripped:
        return "holds an unrendered ${…} placeholder"
    return None


def url_problem(field: str, url: str) -> str | None:
    """A data-store URL (it may carry credentials) that must not start: empty, a placeholder,
    another scheme, or a password rendered empty (`redis://:@host`)."""
    reason = placeholder_reason(url)
    if reason is not None:
        return reason
    try:
        parts = urlsplit(url.strip())
        password = parts.password
    except ValueError:
        return "is not a URL"
    if parts.scheme not in _SCHEMES[field]:
        return f"must be a {' or '.join(s + '://' for s in _SCHEMES[field])} URL"
    if "@" in parts.netloc and password is not None:
        if not password:
            return "carries an empty password"
        if placeholder_reason(password) is not None:
            return "carries a placeholder password"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = 8005
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9005
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    cors_allowed_origin_regex: str = r"https://.*\.vercel\.app"

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
        problem = url_problem(field, value.get_secret_value())
        if problem is not None:
            raise ValueError(f"METRICS_{field.upper()} {problem}")
        return value

    @property
    def jwks_url(self) -> str:
        return f"{self.auth_url.rstrip('/')}/auth/.well-known/jwks.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # the environment fills the required fields


def load_settings(program: str) -> Settings:
    """The settings, or exit 2 with one line per problem (variable names, never values)."""
    try:
        return get_settings()
    except ValidationError as error:
        problems = []
        for e in error.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in e["loc"])
            name = f"METRICS_{where.upper()}" if where else "settings"
            message = str(e["msg"]).removeprefix("Value error, ")
            problems.append(message if message.startswith("METRICS_") else f"{name}: {message}")
        print(
            f"{program}: refusing to start, the configuration is invalid:\n  "
            + "\n  ".join(problems),
            file=sys.stderr,
        )
        raise SystemExit(2) from None
