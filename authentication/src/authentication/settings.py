"""Configuration from environment variables prefixed with ``AUTH_``."""

import json
import os
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from authentication.base_settings import ServiceSettings, placeholder_reason, refuse

# The Firebase Auth emulator accepts unsigned tokens: honoured only in local mode.
EMULATOR_VARIABLES = ("FIREBASE_AUTH_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")
# The Web API key the local stack and the tests use with the emulator.
LOCAL_FIREBASE_API_KEY = "local-emulator-key"
# Outside local mode the service credential is a random value (openssl rand -hex 32).
MIN_SERVICE_TOKEN_LENGTH = 16


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    port: int = 8002
    prometheus_port: int = 9002

    # Local mode may generate a throw-away signing key, run without a service token (nobody can
    # call in), use the local Firebase API key and the emulators; never in a cluster.
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
    # Required outside local mode; local mode defaults to the emulator's placeholder key.
    firebase_api_key: SecretStr | None = None
    # Path to a service-account JSON; unset means application-default or the emulators.
    firebase_credentials_file: str | None = None
    storage_bucket: str = "fiufit-local"
    max_image_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Uploaded images are re-encoded with their long side at most this many pixels.
    max_image_side: int = Field(default=2048, ge=16, le=8192)
    # Images whose header announces more pixels than this are refused before decoding
    # (decompression bombs).
    max_image_pixels: int = Field(default=36_000_000, gt=0)
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
    def _secrets_are_real(self) -> "Settings":
        """Fail closed: a secret given is real in any mode (not empty, not a placeholder);
        outside local mode every secret is set, the local values and the emulators are refused.
        Every problem is reported at once; the messages name the variable, never its value."""
        problems: list[str | None] = []
        secrets = {
            "jwt_private_key": self.jwt_private_key,
            "service_token": self.service_token,
            "firebase_api_key": self.firebase_api_key,
        }
        for field, secret in secrets.items():
            name = self.env_variable(field)
            if secret is None:
                if not self.local_mode:
                    problems.append(f"{name} must be set unless AUTH_LOCAL_MODE=true")
                continue
            value = secret.get_secret_value().strip()
            if (problem := self.secret_problem(field, secret)) or self.local_mode:
                problems.append(problem)
            elif field == "firebase_api_key" and value == LOCAL_FIREBASE_API_KEY:
                problems.append(f"{name} is the local emulator's key")
            elif field == "service_token" and len(value) < MIN_SERVICE_TOKEN_LENGTH:
                problems.append(f"{name} is shorter than {MIN_SERVICE_TOKEN_LENGTH} characters")
        if self.firebase_credentials_file and (
            reason := credentials_file_problem(self.firebase_credentials_file)
        ):
            problems.append(f"AUTH_FIREBASE_CREDENTIALS_FILE {reason}")
        if not self.local_mode:
            problems += [
                f"{name} is set: the emulators accept unsigned tokens, so they are refused "
                "unless AUTH_LOCAL_MODE=true"
                for name in emulators_configured()
            ]
        refuse(problems)
        return self

    @property
    def firebase_web_api_key(self) -> str:
        if self.firebase_api_key is None:  # the validator allows this in local mode only
            return LOCAL_FIREBASE_API_KEY
        return self.firebase_api_key.get_secret_value()


def credentials_file_problem(path: str) -> str | None:
    """Why the service-account file (a Secret mounted as a file) cannot be the real one."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except OSError:
        return "cannot be read"
    except ValueError:
        return "is not JSON (empty, or a placeholder that envsubst left)"
    if not isinstance(content, dict) or content.get("type") != "service_account":
        return "is not a service-account JSON"
    for key in ("private_key", "client_email"):
        value = content.get(key)
        if not isinstance(value, str) or placeholder_reason(value) is not None:
            return f"has no real {key}"
    return None


def emulators_configured() -> list[str]:
    """The emulator variables set (non-empty) in this process's environment."""
    return [name for name in EMULATOR_VARIABLES if os.environ.get(name, "").strip()]


class ConfigurationError(RuntimeError):
    """The environment changed after the settings were read: refuse to serve."""


def check_environment(settings: Settings) -> None:
    """Re-checked when the app starts: an emulator variable set after the settings were read."""
    if not settings.local_mode and (names := emulators_configured()):
        raise ConfigurationError(
            f"{', '.join(names)} set outside AUTH_LOCAL_MODE: refusing to use the emulators"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
