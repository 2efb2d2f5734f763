"""Required secrets refuse empty and placeholder values: the service does not start.

envsubst renders an unset variable as "", and a service token of "" would match a caller's
empty one. Each case starts the real entry point (`python -m users`) and waits for one of two
states: it exited (the fix), or it is listening on its port (the service started: the bug)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.helpers import DATABASE_URL, DEADLINE, SERVICE_TOKEN, make_settings

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "fiufit-users")
REFUSAL = "fiufit-users: refusing to start, the configuration is invalid:"

VALID = {
    "USERS_DATABASE_URL": DATABASE_URL,
    "USERS_SERVICE_TOKEN": SERVICE_TOKEN,
    "USERS_BOOTSTRAP_ADMIN_EMAIL": "",
    "USERS_BOOTSTRAP_ADMIN_PASSWORD": "",
    "USERS_PROMETHEUS_PORT": "0",
    "USERS_OUTBOX_RELAY_ENABLED": "false",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(*command: str, **overrides: str) -> tuple[int | None, str]:
    """The exit code and stderr, or (None, …) when the service came up and served. The command
    is the entry point (`python -m users`) unless given."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("USERS_") and k != "VIRTUAL_ENV"}
    env.update({**VALID, "USERS_HOST": "127.0.0.1", "USERS_PORT": str(port), **overrides})
    process = subprocess.Popen(
        list(command or (sys.executable, "-m", "users")),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + DEADLINE
    try:
        while process.poll() is None:
            if listening(port):
                return None, ""
            if time.monotonic() > deadline:
                raise AssertionError("neither exited nor listening")
            time.sleep(0.05)
        return process.returncode, process.stderr.read().decode() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_real_values_start_the_service() -> None:
    """The harness sees a service that starts (so the refusals below are refusals)."""
    code, _ = start()
    assert code is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("USERS_SERVICE_TOKEN", ""),
        ("USERS_SERVICE_TOKEN", "   "),
        ("USERS_SERVICE_TOKEN", "${FIUFIT_SERVICE_TOKEN}"),
        ("USERS_SERVICE_TOKEN", "$FIUFIT_SERVICE_TOKEN"),
        ("USERS_SERVICE_TOKEN", "changeme"),
        ("USERS_DATABASE_URL", ""),
        ("USERS_DATABASE_URL", "${USERS_DATABASE_URL}"),
    ],
)
def test_an_empty_or_placeholder_secret_stops_the_start(variable: str, value: str) -> None:
    code, stderr = start(**{variable: value})
    assert code is not None, f"the service started with {variable}={value!r}"
    assert code != 0
    assert variable in stderr


@pytest.mark.parametrize("password", ["", "changeme", "${USERS_BOOTSTRAP_ADMIN_PASSWORD}"])
def test_a_bootstrap_admin_needs_a_real_password(password: str) -> None:
    code, stderr = start(
        USERS_BOOTSTRAP_ADMIN_EMAIL="boot@example.com", USERS_BOOTSTRAP_ADMIN_PASSWORD=password
    )
    assert code is not None, f"the service started with the admin password {password!r}"
    assert code != 0 and "USERS_BOOTSTRAP_ADMIN_PASSWORD" in stderr


def test_the_secret_value_is_never_echoed() -> None:
    code, stderr = start(USERS_DATABASE_URL="mysql://root:hunter2-db-password@db/users")
    assert code not in (None, 0)
    assert "hunter2-db-password" not in stderr


# Placeholders that name themselves, so that a message echoing the value would show.
PLACEHOLDER_SECRETS = [
    ("service_token", "USERS_SERVICE_TOKEN", "<paste-the-users-service-token>"),
    ("database_url", "USERS_DATABASE_URL", "${USERS_DATABASE_URL_FROM_THE_VAULT}"),
    ("database_url", "USERS_DATABASE_URL", "postgresql://users:$USERS_DB_PASSWORD@db/users"),
    ("database_url", "USERS_DATABASE_URL", "postgresql://users-db-login:@db/users"),
]


@pytest.mark.parametrize(("field", "variable", "value"), PLACEHOLDER_SECRETS)
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    field: str, variable: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_settings(**{field: value})
    assert variable in str(refused.value)
    assert value not in str(refused.value)
    assert value.split("@")[0] not in str(refused.value)  # not even the URL's credentials


@pytest.mark.parametrize(("field", "variable", "value"), PLACEHOLDER_SECRETS)
def test_the_console_script_exits_2_naming_the_variable(
    field: str, variable: str, value: str
) -> None:
    code, stderr = start(CONSOLE_SCRIPT, **{variable: value})
    assert code == 2, f"exit {code} with {variable}={value!r}: {stderr}"
    assert stderr.startswith(REFUSAL), stderr
    assert f"\n  {variable} " in stderr, stderr  # one line per problem, naming the variable
    assert value not in stderr and value.split("@")[0] not in stderr
    assert "Traceback" not in stderr
