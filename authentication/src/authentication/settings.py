"""Configuration from environment variables prefixed with ``AUTH_``."""

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = 8002
    log_level: str = "INFO"
    # 0 disables the separate Prometheus listener (tests run several apps in one process).
    prometheus_port: int = 9002
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]

    # Local mode may generate a throw-away signing key and a dev service token; never in a cluster.
    local_mode: bool = False

    # PEM private key (EC P-256 for ES256, RSA for RS256), from a Kubernetes Secret.
    jwt_private_key: SecretStr | None = None
    jwt_algorithm: str = Field(default="ES256", pattern="^(ES256|RS256)$")
    jwt_key_id: str = "fiufit-1"
    # Public keys of retired signing keys, PEM, kept in the JWKS until their tokens expire.
    jwt_previous_public_keys: list[str] = []
    jwt_issuer: str = "fiufit-authentication"
    jwt_expiration_hours: float = 24

    # Shared credential that FiuFit services present in X-Service-Token.
    service_token: SecretStr | None = None

    firebase_project_id: str = "demo-fiufit"
    # Web API key for the Identity Toolkit REST calls (password sign-in, IdP, reset e-mails).
    firebase_api_key: SecretStr = SecretStr("local-emulator-key")
    # Path to a service-account JSON; unset means application-default or the emulators.
    firebase_credentials_file: str | None = None
    storage_bucket: str = "fiufit-local"
    max_image_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Seconds allowed for one call to Firebase or storage.
    upstream_timeout: float = Field(default=10.0, gt=0)

    @field_validator("jwt_private_key", mode="before")
    @classmethod
    def _unescape_newlines(cls, value: object) -> object:
        # A PEM passed through a one-line env var or Secret keeps its newlines as "\n".
        if isinstance(value, str) and "\\n" in value:
            return value.replace("\\n", "\n")
        return value

    @field_validator("jwt_expiration_hours")
    @classmethod
    def _at_least_one_second(cls, hours: float) -> float:
        # `exp` counts whole seconds: a shorter lifetime rounded down to 0 and issued tokens that
        # expired in the second they were issued.
        if hours * 3600 < 1:
            raise ValueError("must be at least one second (1/3600 hours)")
        return hours

    @model_validator(mode="after")
    def _secrets_present_outside_local_mode(self) -> "Settings":
        if not self.local_mode:
            missing = [
                name
                for name, value in (
                    ("AUTH_JWT_PRIVATE_KEY", self.jwt_private_key),
                    ("AUTH_SERVICE_TOKEN", self.service_token),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"{', '.join(missing)} must be set unless AUTH_LOCAL_MODE=true")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
