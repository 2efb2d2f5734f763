"""Required secrets refuse empty and placeholder values, and the service does not start with one.

envsubst renders an unset `$FIUFIT_SERVICE_TOKEN` as "", and a template copied by hand keeps
the `$NAME` itself: either one used to start a service that failed open.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from goals.settings import Settings
from tests.helpers import DATABASE_URL, REDIS_URL, SERVICE_TOKEN, free_port, make_settings

SECRETS = {
    "database_url": DATABASE_URL,
    "redis_url": REDIS_URL,
    "service_token": SERVICE_TOKEN,
}
PLACEHOLDERS = [
    "",
    "   ",
    "$FIUFIT_SERVICE_TOKEN",
    "${GOALS_DATABASE_URL}",
    "$GOALS_REDIS_URL",
    "changeme",
    "CHANGE-ME",
    "<service-token>",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_required_secret_refuses_an_empty_or_placeholder_value(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(**{name: value})
    assert f"GOALS_{name.upper()}" in str(raised.value)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_an_unset_secret_is_refused_from_the_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for other, value in SECRETS.items():
        monkeypatch.setenv(f"GOALS_{other.upper()}", value)
    monkeypatch.setenv("GOALS_AUTH_URL", "http://127.0.0.1:8002")
    Settings()  # type: ignore[call-arg]  # all set: accepted
    monkeypatch.setenv(f"GOALS_{name.upper()}", "")
    with pytest.raises(ValidationError):
        Settings()  # type: ignore[call-arg]


def test_urls_of_the_wrong_kind_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(database_url="mysql://root:hunter2@db/goals")
    assert "hunter2" not in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        make_settings(redis_url="http://:hunter2@cache:6379/0")
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("redis_url", "redis://:@redis-master:6379/0"),
        ("database_url", "postgresql://goals:@postgres:5432/goals"),
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


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_the_service_does_not_start_with_an_empty_secret(name: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALS_")}
    env.update({f"GOALS_{key.upper()}": value for key, value in SECRETS.items()})
    env.update(
        {
            f"GOALS_{name.upper()}": "",
            "GOALS_AUTH_URL": "http://127.0.0.1:8002",
            "GOALS_HOST": "127.0.0.1",
            "GOALS_PORT": str(port),
            "GOALS_PROMETHEUS_PORT": "0",
            "GOALS_OUTBOX_RELAY_ENABLED": "false",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "goals"],
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
    assert not serving, f"the service started with GOALS_{name.upper()} empty"
    assert process.returncode != 0
    assert f"GOALS_{name.upper()}" in stderr


CONSOLE_SCRIPT = str(Path(sys.executable).parent / "fiufit-goals")
REFUSAL = "fiufit-goals: refusing to start, the configuration is invalid:"
# Placeholders that name themselves, so that a message echoing the value would show.
PLACEHOLDER_SECRETS = [
    ("service_token", "<paste-the-goals-service-token>"),
    ("database_url", "${GOALS_DATABASE_URL_FROM_THE_VAULT}"),
    ("database_url", "postgresql://goals-db-login:$PASSWORD_OF_GOALS@db/goals"),
    ("redis_url", "redis://goals-redis-login:changeme@cache:6379/0"),
]


@pytest.mark.parametrize(("name", "value"), PLACEHOLDER_SECRETS)
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    name: str, value: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        make_settings(**{name: value})
    assert f"GOALS_{name.upper()}" in str(raised.value)
    assert value not in str(raised.value)
    assert value.split("@")[0] not in str(raised.value)  # not even the URL's credentials


@pytest.mark.parametrize(("name", "value"), PLACEHOLDER_SECRETS)
def test_the_console_script_exits_2_naming_the_variable(name: str, value: str) -> None:
    variable = f"GOALS_{name.upper()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALS_")}
    env.update({f"GOALS_{key.upper()}": good for key, good in SECRETS.items()})
    env.update(
        {
            variable: value,
            "GOALS_AUTH_URL": "http://127.0.0.1:8002",
            "GOALS_HOST": "127.0.0.1",
            "GOALS_PORT": str(free_port()),
            "GOALS_PROMETHEUS_PORT": "0",
            "GOALS_OUTBOX_RELAY_ENABLED": "false",
        }
    )
    # A refused configuration exits before it listens; one that starts would serve until killed.
    process = subprocess.Popen(
        [CONSOLE_SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while process.poll() is None and not _listening(int(env["GOALS_PORT"])):
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
