"""Empty secrets fail closed: every required secret refuses an empty or placeholder value, and
the service process exits before it serves anything (an unset variable that ``envsubst``
rendered as "" used to open every internal endpoint to ``compare_digest("", "")``)."""

import contextlib
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from tests.fuzz import free_port
from tests.helpers import (
    DATABASE_URL,
    DEADLINE,
    ENCRYPTION_KEY,
    OWNER,
    REDIS_URL,
    SERVICE_TOKEN,
    make_settings,
)

SECRETS = {
    "service_token": SERVICE_TOKEN,
    "wallet_encryption_key": ENCRYPTION_KEY,
    "owner_private_key": OWNER.key.hex(),
    "database_url": DATABASE_URL,
}
BAD = ["", "   ", "$FIUFIT_SERVICE_TOKEN", "${PAYMENT_DATABASE_URL}", "changeme", "<secret>"]


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("value", BAD)
def test_settings_refuse_an_empty_or_placeholder_secret(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        make_settings(**{name: value})


def test_settings_refuse_malformed_secrets_and_a_missing_owner() -> None:
    for bad in (
        {"service_token": "short"},
        {"wallet_encryption_key": "not-a-fernet-key"},
        {"owner_private_key": "0x1234"},
        {"database_url": "mysql://x"},
        {"rpc_url": ""},
        {"rpc_url": "$PAYMENT_RPC_URL"},
        {"owner_private_key": None},  # a real chain needs an owner
    ):
        with pytest.raises(ValidationError):
            make_settings(**bad)
    assert make_settings(rpc_url=None, owner_private_key=None).owner_private_key is None


def _env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PAYMENT_HOST": "127.0.0.1",
        "PAYMENT_DATABASE_URL": DATABASE_URL,
        "PAYMENT_REDIS_URL": REDIS_URL,
        "PAYMENT_SERVICE_TOKEN": SERVICE_TOKEN,
        "PAYMENT_WALLET_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "PAYMENT_RPC_URL": "http://127.0.0.1:8545",
        "PAYMENT_OWNER_PRIVATE_KEY": OWNER.key.hex(),
        "PAYMENT_PROMETHEUS_PORT": "0",
        "PAYMENT_LOG_LEVEL": "WARNING",
        "PAYMENT_TRACKER_INTERVAL": "3600",
    }
    env.update(overrides)
    return env


def _outcome(env: dict[str, Any]) -> tuple[int | None, bool, str]:
    """Start the real service: (its exit code or None, whether it answered, its stderr)."""
    port = free_port()
    env = {**env, "PAYMENT_PORT": str(port)}
    binary = os.path.join(os.path.dirname(sys.executable), "fiufit-payment")
    with subprocess.Popen(
        [binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        answered = False
        deadline = time.monotonic() + DEADLINE
        try:
            while process.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    url = f"http://127.0.0.1:{port}/payment/healthcheck/"
                    answered = httpx.get(url).status_code == 200
                if answered:
                    break
                time.sleep(0.1)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        assert process.stderr is not None
        return (
            process.returncode if not answered else None,
            answered,
            process.stderr.read().decode(),
        )


@pytest.mark.parametrize(
    "variable",
    [
        "PAYMENT_SERVICE_TOKEN",
        "PAYMENT_WALLET_ENCRYPTION_KEY",
        "PAYMENT_OWNER_PRIVATE_KEY",
        "PAYMENT_DATABASE_URL",
    ],
)
def test_the_service_does_not_start_with_an_empty_secret(variable: str) -> None:
    code, answered, stderr = _outcome(_env(**{variable: ""}))
    assert not answered, f"the service served with {variable} empty"
    assert code not in (None, 0)
    assert variable.removeprefix("PAYMENT_").lower() in stderr
