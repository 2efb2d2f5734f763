"""The settings every service names the same way (ARCHITECTURE.md), and the former names an
existing deployment may still set."""

import logging
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from payment.settings import Settings, warn_deprecated_env
from tests.fuzz import free_port
from tests.helpers import DATABASE_URL, DEADLINE, ENCRYPTION_KEY, SERVICE_TOKEN, make_settings

TESTED = [
    f"PAYMENT_{name}"
    for name in (
        "DATABASE_POOL_MIN",
        "DATABASE_POOL_MAX",
        "DATABASE_POOL_SIZE",
        "EVENTS_STREAM",
        "OUTBOX_RELAY_ENABLED",
        "OUTBOX_BATCH_SIZE",
        "OUTBOX_POLL_INTERVAL",
        "OUTBOX_INTERVAL",
        "OUTBOX_RETENTION_DAYS",
    )
]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The required variables, as a deployment sets them, and none of the names tested here."""
    for name in TESTED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYMENT_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("PAYMENT_SERVICE_TOKEN", SERVICE_TOKEN)
    monkeypatch.setenv("PAYMENT_WALLET_ENCRYPTION_KEY", ENCRYPTION_KEY)
    return monkeypatch


def test_the_pool_and_the_relay_have_the_shared_names_and_defaults(
    environment: pytest.MonkeyPatch,
) -> None:
    settings = Settings()  # type: ignore[call-arg]
    assert (settings.database_pool_min, settings.database_pool_max) == (1, 30)
    assert settings.events_stream == "fiufit:events"
    assert settings.outbox_relay_enabled is True
    assert settings.outbox_batch_size == 100
    assert settings.outbox_poll_interval == 1.0
    assert settings.outbox_retention_days == 7
    environment.setenv("PAYMENT_DATABASE_POOL_MIN", "4")
    environment.setenv("PAYMENT_DATABASE_POOL_MAX", "12")
    environment.setenv("PAYMENT_OUTBOX_RELAY_ENABLED", "false")
    environment.setenv("PAYMENT_OUTBOX_POLL_INTERVAL", "0.5")
    settings = Settings()  # type: ignore[call-arg]
    assert (settings.database_pool_min, settings.database_pool_max) == (4, 12)
    assert settings.outbox_relay_enabled is False and settings.outbox_poll_interval == 0.5


def test_the_former_names_are_still_read(
    environment: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="payment.settings"):
        warn_deprecated_env()
    assert caplog.text == ""
    environment.setenv("PAYMENT_DATABASE_POOL_SIZE", "12")
    environment.setenv("PAYMENT_OUTBOX_INTERVAL", "0.25")
    settings = Settings()  # type: ignore[call-arg]
    assert settings.database_pool_max == 12 and settings.outbox_poll_interval == 0.25
    with caplog.at_level(logging.WARNING, logger="payment.settings"):
        warn_deprecated_env()
    assert "PAYMENT_DATABASE_POOL_SIZE is deprecated" in caplog.text
    assert "set PAYMENT_OUTBOX_POLL_INTERVAL instead" in caplog.text
    environment.setenv("PAYMENT_DATABASE_POOL_MAX", "20")  # the new name wins
    environment.setenv("PAYMENT_OUTBOX_POLL_INTERVAL", "2")
    settings = Settings()  # type: ignore[call-arg]
    assert settings.database_pool_max == 20 and settings.outbox_poll_interval == 2


def test_a_pool_smaller_than_its_minimum_is_refused() -> None:
    with pytest.raises(ValidationError, match="PAYMENT_DATABASE_POOL_MIN"):
        make_settings(database_pool_min=8, database_pool_max=4)


def test_dust_below_the_minimum_withdrawal_is_refused() -> None:
    """Below the minimum withdrawal, a balance above the dust could never be withdrawn, and the
    account could never be deleted."""
    with pytest.raises(ValidationError, match="PAYMENT_DELETION_DUST_ETH"):
        make_settings(deletion_dust_eth=Decimal("0.0001"))
    lower = make_settings(deletion_dust_eth=Decimal("0.0001"), min_withdrawal=Decimal("0.0001"))
    assert lower.deletion_dust_eth == Decimal("0.0001")
    assert make_settings().deletion_dust_eth == Decimal("0.001")


CONSOLE_SCRIPT = str(Path(sys.executable).parent / "fiufit-payment")
REFUSAL = "fiufit-payment: refusing to start, the configuration is invalid:"
# Placeholders that name themselves, so that a message echoing the value would show.
PLACEHOLDER_SECRETS = [
    ("service_token", "<paste-the-payment-service-token>"),
    ("wallet_encryption_key", "${PAYMENT_WALLET_ENCRYPTION_KEY_FROM_THE_VAULT}"),
    ("owner_private_key", "dummy-payment-owner-private-key"),
    ("database_url", "postgresql://payment-db-login:$PAYMENT_DB_PASSWORD@db/payment"),
    ("rpc_url", "https://payment-rpc-login:changeme@sepolia.example/v3"),
]


@pytest.mark.parametrize(("field", "value"), PLACEHOLDER_SECRETS)
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_settings(**{field: value})
    assert f"PAYMENT_{field.upper()}" in str(refused.value)
    assert value not in str(refused.value)
    assert value.split("@")[0] not in str(refused.value)  # not even the URL's credentials


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize(("field", "value"), PLACEHOLDER_SECRETS)
def test_the_console_script_exits_2_naming_the_variable(field: str, value: str) -> None:
    variable = f"PAYMENT_{field.upper()}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
    env.update(
        {
            "PAYMENT_DATABASE_URL": DATABASE_URL,
            "PAYMENT_SERVICE_TOKEN": SERVICE_TOKEN,
            "PAYMENT_WALLET_ENCRYPTION_KEY": ENCRYPTION_KEY,
            "PAYMENT_HOST": "127.0.0.1",
            "PAYMENT_PORT": str(port),
            "PAYMENT_PROMETHEUS_PORT": "0",
            variable: value,
        }
    )
    # A refused configuration exits before it listens; one that starts would serve until killed.
    process = subprocess.Popen(
        [CONSOLE_SCRIPT], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + DEADLINE
    try:
        while process.poll() is None and not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, f"exit {process.returncode} with {variable}: {stderr}"
    assert stderr.startswith(REFUSAL), stderr
    assert f"\n  {variable} " in stderr, stderr  # one line per problem, naming the variable
    assert value not in stderr and value.split("@")[0] not in stderr
    assert "Traceback" not in stderr
