"""The settings every service names the same way (ARCHITECTURE.md), and the former names an
existing deployment may still set."""

import logging

import pytest
from pydantic import ValidationError

from payment.settings import Settings, warn_deprecated_env
from tests.conftest import DATABASE_URL, ENCRYPTION_KEY, SERVICE_TOKEN, make_settings

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
