"""Fail closed at start-up (issue 13, items 8 and 9): an empty or placeholder secret, or an
emulator variable outside local mode, stops the real console script before it serves."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from pydantic import ValidationError

from authentication.app import create_app
from authentication.settings import ConfigurationError, Settings
from authentication.tokens.keys import generate_private_pem
from tests.helpers import SERVICE_TOKEN, make_settings

CONSOLE_SCRIPT = Path(sys.executable).parent / "fiufit-authentication"
GOOD_TOKEN = "a-real-service-token-0123456789abcdef"
GOOD_API_KEY = "AIzaSyA-real-looking-web-api-key"
PLACEHOLDERS = ["", "   ", "$FIUFIT_SERVICE_TOKEN", "${AUTH_FIREBASE_API_KEY}", "changeme",
                "<your key here>"]  # fmt: skip
SECRETS = ["AUTH_SERVICE_TOKEN", "AUTH_JWT_PRIVATE_KEY", "AUTH_FIREBASE_API_KEY"]
EMULATORS = {
    "FIREBASE_AUTH_EMULATOR_HOST": os.environ.get("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099"),
    "STORAGE_EMULATOR_HOST": os.environ.get("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cluster_env(**overrides: str) -> dict[str, str]:
    """A cluster's environment: every secret real, local mode off, no emulator."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUTH_")
        and k not in EMULATORS
        and k != "GOOGLE_APPLICATION_CREDENTIALS"
    }
    env.update(
        {
            "AUTH_LOCAL_MODE": "false",
            "AUTH_JWT_PRIVATE_KEY": generate_private_pem("ES256").replace("\n", "\\n"),
            "AUTH_SERVICE_TOKEN": GOOD_TOKEN,
            "AUTH_FIREBASE_API_KEY": GOOD_API_KEY,
            "AUTH_HOST": "127.0.0.1",
            "AUTH_PORT": str(free_port()),
            "AUTH_PROMETHEUS_PORT": "0",
            "AUTH_LOG_LEVEL": "WARNING",
        }
    )
    env.update(overrides)
    return env


def start(env: dict[str, str]) -> tuple[str, int | None, str]:
    """Runs the console script until it exits or serves: ("exited", code, stderr) or
    ("served", None, stderr). Waits for one of those states, never for a fixed time."""
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{env['AUTH_PORT']}/auth/healthcheck/"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                assert process.stderr is not None
                return "exited", process.returncode, process.stderr.read().decode()
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return "served", None, ""
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling interval while waiting for a state
        raise AssertionError("the service neither exited nor served within 120 s")
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.parametrize("secret", SECRETS)
def test_the_console_script_refuses_to_start_with_an_empty_secret(secret: str) -> None:
    env = cluster_env(**{secret: ""})
    state, code, stderr = start(env)
    assert state == "exited", f"served with {secret} empty"
    assert code != 0
    assert "refusing to start" in stderr and secret in stderr, stderr
    assert "is empty" in stderr, stderr
    for other in SECRETS:  # the message names variables, never values
        if env[other]:
            assert env[other] not in stderr


def test_the_console_script_refuses_the_emulators_outside_local_mode() -> None:
    """The emulators accept unsigned Google tokens: before, this configuration served."""
    state, code, stderr = start(cluster_env(**EMULATORS))
    assert state == "exited", "served with the emulators outside local mode"
    assert code != 0
    assert "FIREBASE_AUTH_EMULATOR_HOST" in stderr and "STORAGE_EMULATOR_HOST" in stderr, stderr
    assert "AUTH_LOCAL_MODE" in stderr


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_every_secret_refuses_empty_and_placeholder_values(
    monkeypatch: pytest.MonkeyPatch, secret: str, value: str
) -> None:
    for name, good in cluster_env().items():
        if name.startswith("AUTH_"):
            monkeypatch.setenv(name, good)
    for name in EMULATORS:
        monkeypatch.delenv(name, raising=False)
    Settings()  # the control: real values start
    monkeypatch.setenv(secret, value)
    with pytest.raises(ValidationError, match=secret):
        Settings()


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_a_secret_given_in_local_mode_must_be_real_too(value: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_SERVICE_TOKEN"):
        make_settings(service_token=value)


def test_outside_local_mode_the_local_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in EMULATORS:
        monkeypatch.delenv(name, raising=False)
    good = {
        "local_mode": False,
        "jwt_private_key": generate_private_pem("ES256"),
        "service_token": GOOD_TOKEN,
        "firebase_api_key": GOOD_API_KEY,
    }
    Settings(**good)
    with pytest.raises(ValidationError, match="AUTH_FIREBASE_API_KEY is the local emulator's key"):
        Settings(**{**good, "firebase_api_key": "local-emulator-key"})
    with pytest.raises(ValidationError, match="AUTH_FIREBASE_API_KEY must be set"):
        Settings(**{**good, "firebase_api_key": None})
    with pytest.raises(ValidationError, match="AUTH_SERVICE_TOKEN is shorter than 16"):
        Settings(**{**good, "service_token": "short"})


@pytest.mark.parametrize("variable", list(EMULATORS))
def test_an_emulator_variable_outside_local_mode_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in EMULATORS:
        monkeypatch.delenv(name, raising=False)
    good = make_settings(local_mode=False, firebase_api_key=GOOD_API_KEY)
    monkeypatch.setenv(variable, EMULATORS[variable])
    with pytest.raises(ValidationError, match=variable):
        make_settings(local_mode=False, firebase_api_key=GOOD_API_KEY)
    # Set after the settings were read: the app factory refuses too.
    with pytest.raises(ConfigurationError, match=variable):
        create_app(good)
    # Local mode may use them.
    assert make_settings(local_mode=True).local_mode


async def test_an_empty_configured_service_token_matches_nothing() -> None:
    """Defence in depth: even if an empty credential reached the app, it would open nothing."""
    app = create_app(make_settings())
    async with AsyncTestClient(app=app) as client:
        app.state.services = replace(app.state.services, service_token="")
        for headers in ({}, {"X-Service-Token": ""}):
            response = await client.post(
                "/auth/token", json={"role": "admin", "id": 1}, headers=headers
            )
            assert response.status_code == 401, response.text
        client.headers["X-Service-Token"] = SERVICE_TOKEN
        assert (
            await client.post("/auth/token", json={"role": "admin", "id": 1})
        ).status_code == 401


@pytest.mark.parametrize(
    "content",
    ["", "$AUTH_FIREBASE_CREDENTIALS_JSON", "{}", '{"type": "service_account"}',
     '{"type": "service_account", "private_key": "", "client_email": "a@b.iam"}'],
)  # fmt: skip
def test_an_empty_or_placeholder_service_account_file_is_refused(
    tmp_path: Path, content: str
) -> None:
    """The Secret auth-firebase-credentials is mounted as a file: rendered from an unset
    AUTH_FIREBASE_CREDENTIALS_JSON it is empty, and the service must not start."""
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(ValidationError, match="AUTH_FIREBASE_CREDENTIALS_FILE"):
        make_settings(firebase_credentials_file=str(path))
    with pytest.raises(ValidationError, match="AUTH_FIREBASE_CREDENTIALS_FILE cannot be read"):
        make_settings(firebase_credentials_file=str(tmp_path / "missing.json"))
    # A service account's shape, with a key made here for the test.
    account = {
        "type": "service_account",
        "private_key": generate_private_pem("ES256"),
        "client_email": "fiufit@project.iam.gserviceaccount.com",
    }
    path.write_text(json.dumps(account))
    assert make_settings(firebase_credentials_file=str(path)).firebase_credentials_file


# Placeholders that name themselves, so that a message echoing the value would show.
NAMED_PLACEHOLDERS = {
    "AUTH_SERVICE_TOKEN": "<paste-the-authentication-service-token>",
    "AUTH_JWT_PRIVATE_KEY": "${AUTH_JWT_PRIVATE_KEY_FROM_THE_VAULT}",
    "AUTH_FIREBASE_API_KEY": "dummy-authentication-firebase-web-key",
}


@pytest.mark.parametrize(("secret", "value"), NAMED_PLACEHOLDERS.items())
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    secret: str, value: str
) -> None:
    field = secret.removeprefix("AUTH_").lower()
    with pytest.raises(ValidationError) as refused:
        make_settings(**{field: value})
    assert secret in str(refused.value)
    assert value not in str(refused.value)


@pytest.mark.parametrize(("secret", "value"), NAMED_PLACEHOLDERS.items())
def test_the_console_script_exits_2_naming_the_variable(secret: str, value: str) -> None:
    state, code, stderr = start(cluster_env(**{secret: value}))
    assert (state, code) == ("exited", 2), stderr
    assert stderr.startswith(
        "fiufit-authentication: refusing to start, the configuration is invalid:\n"
    ), stderr
    assert f"\n  {secret} is a placeholder" in stderr, stderr  # one line per problem
    assert value not in stderr
    assert "Traceback" not in stderr
