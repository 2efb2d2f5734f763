"""Required secrets refuse empty and placeholder values, and the service does not start with one.

envsubst renders an unset `$FIUFIT_SERVICE_TOKEN` as "", and a template copied by hand keeps
the `$NAME` itself: either one used to start a service that failed open.
"""

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.helpers import DATABASE_URL, REDIS_URL, SERVICE_TOKEN, make_settings
from trainings.settings import Settings, warn_deprecated_env

SECRETS = {
    "database_url": DATABASE_URL,
    "redis_url": REDIS_URL,
    "service_token": SERVICE_TOKEN,
}
PLACEHOLDERS = [
    "",
    "   ",
    "$FIUFIT_SERVICE_TOKEN",
    "${TRAININGS_DATABASE_URL}",
    "$TRAININGS_REDIS_URL",
    "changeme",
    "CHANGE-ME",
    "<service-token>",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_required_secret_refuses_an_empty_or_placeholder_value(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(**{name: value})
    assert f"TRAININGS_{name.upper()}" in str(raised.value)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_an_unset_secret_is_refused_from_the_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for other, value in SECRETS.items():
        monkeypatch.setenv(f"TRAININGS_{other.upper()}", value)
    monkeypatch.setenv("TRAININGS_AUTH_URL", "http://127.0.0.1:8002")
    Settings()  # type: ignore[call-arg]  # all set: accepted
    monkeypatch.setenv(f"TRAININGS_{name.upper()}", "")
    with pytest.raises(ValidationError):
        Settings()  # type: ignore[call-arg]


def test_urls_of_the_wrong_kind_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(database_url="mysql://root:hunter2@db/trainings")
    assert "hunter2" not in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        make_settings(redis_url="http://:hunter2@cache:6379/0")
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("redis_url", "redis://:@redis-master:6379/0"),
        ("database_url", "postgresql://trainings:@postgres:5432/trainings"),
    ],
)
def test_a_url_rendered_with_an_empty_password_is_refused(name: str, url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(**{name: url})
    assert "empty password" in str(raised.value)


def test_real_values_are_kept() -> None:
    assert make_settings(redis_url="redis://:s3cret@cache:6379/0").redis_url.get_secret_value()
    settings = make_settings()
    assert settings.service_token.get_secret_value() == SERVICE_TOKEN
    assert settings.redis_url.get_secret_value() == REDIS_URL


def _from_env(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"TRAININGS_{name.upper()}", value)
    for name in ("TRAININGS_MAX_IMAGE_BYTES", "TRAININGS_MAX_MEDIA_BYTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings()  # type: ignore[call-arg]  # required values come from the environment


def test_the_image_limit_reads_its_new_name_and_its_deprecated_one(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert _from_env(monkeypatch).max_image_bytes == 5 * 1024 * 1024
    assert _from_env(monkeypatch, TRAININGS_MAX_IMAGE_BYTES="1000").max_image_bytes == 1000
    # An existing deployment that still sets the old name keeps its limit, and is told.
    old = _from_env(monkeypatch, TRAININGS_MAX_MEDIA_BYTES="2000")
    assert old.max_image_bytes == 2000
    with caplog.at_level(logging.WARNING, logger="trainings.settings"):
        warn_deprecated_env()
    assert "TRAININGS_MAX_MEDIA_BYTES is deprecated" in caplog.text
    both = _from_env(
        monkeypatch, TRAININGS_MAX_MEDIA_BYTES="2000", TRAININGS_MAX_IMAGE_BYTES="3000"
    )
    assert both.max_image_bytes == 3000  # the new name wins
    assert make_settings(max_image_bytes=4000).max_image_bytes == 4000
    with pytest.raises(ValidationError):
        _from_env(monkeypatch, TRAININGS_MAX_MEDIA_BYTES="0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_the_service_does_not_start_with_an_empty_secret(name: str) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAININGS_")}
    env.update({f"TRAININGS_{key.upper()}": value for key, value in SECRETS.items()})
    env.update(
        {
            f"TRAININGS_{name.upper()}": "",
            "TRAININGS_AUTH_URL": "http://127.0.0.1:8002",
            "TRAININGS_HOST": "127.0.0.1",
            "TRAININGS_PORT": str(port),
            "TRAININGS_PROMETHEUS_PORT": "0",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "trainings"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait for one of two states: the process exited, or it serves (the bug).
        while process.poll() is None and not _listening(port):
            time.sleep(0.05)
        serving = process.poll() is None
    finally:
        if process.poll() is None:
            process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert not serving, f"the service started with TRAININGS_{name.upper()} empty"
    assert process.returncode != 0
    assert f"TRAININGS_{name.upper()}" in stderr


CONSOLE_SCRIPT = str(Path(sys.executable).parent / "fiufit-trainings")
REFUSAL = "fiufit-trainings: refusing to start, the configuration is invalid:"
# Placeholders that name themselves, so that a message echoing the value would show.
PLACEHOLDER_SECRETS = [
    ("service_token", "<paste-the-trainings-service-token>"),
    ("database_url", "${TRAININGS_DATABASE_URL_FROM_THE_VAULT}"),
    ("database_url", "postgresql://trainings-db-login:$PASSWORD_OF_TRAININGS@db/trainings"),
    ("redis_url", "redis://trainings-redis-login:changeme@cache:6379/0"),
]


@pytest.mark.parametrize(("name", "value"), PLACEHOLDER_SECRETS)
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    name: str, value: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(**{name: value})
    assert f"TRAININGS_{name.upper()}" in str(raised.value)
    assert value not in str(raised.value)
    assert value.split("@")[0] not in str(raised.value)  # not even the URL's credentials


@pytest.mark.parametrize(("name", "value"), PLACEHOLDER_SECRETS)
def test_the_console_script_exits_2_naming_the_variable(name: str, value: str) -> None:
    variable = f"TRAININGS_{name.upper()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAININGS_")}
    env.update({f"TRAININGS_{key.upper()}": good for key, good in SECRETS.items()})
    env.update(
        {
            variable: value,
            "TRAININGS_AUTH_URL": "http://127.0.0.1:8002",
            "TRAININGS_HOST": "127.0.0.1",
            "TRAININGS_PORT": str(_free_port()),
            "TRAININGS_PROMETHEUS_PORT": "0",
        }
    )
    # A refused configuration exits before it listens; one that starts would serve until killed.
    process = subprocess.Popen(
        [CONSOLE_SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while process.poll() is None and not _listening(int(env["TRAININGS_PORT"])):
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
