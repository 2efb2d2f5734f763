"""Required secrets refuse empty and placeholder values: the service does not start.

envsubst renders an unset variable as "", and a service token of "" would match a caller's
empty one. Each case starts the real entry point (`python -m users`) and waits for one of two
states: it exited (the fix), or it is listening on its port (the service started: the bug)."""

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.helpers import DATABASE_URL, DEADLINE, SERVICE_TOKEN

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


def start(**overrides: str) -> tuple[int | None, str]:
    """The exit code and stderr, or (None, …) when the service came up and served."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("USERS_") and k != "VIRTUAL_ENV"}
    env.update({**VALID, "USERS_HOST": "127.0.0.1", "USERS_PORT": str(port), **overrides})
    process = subprocess.Popen(
        [sys.executable, "-m", "users"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
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
