"""Fail closed at start-up (issue 13, item 8): the data-store URLs are the metrics secrets (a
cluster's carry credentials). Empty, a placeholder, or a password that envsubst rendered empty
(`redis://:@redis-master…`, FIUFIT_REDIS_PASSWORD unset) stop both console scripts before they
serve or consume."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from metrics.settings import Settings
from tests.helpers import MONGO_URL, REDIS_URL, free_port

BIN = Path(sys.executable).parent
SECRETS = ["METRICS_MONGO_URL", "METRICS_REDIS_URL"]
BAD = {
    "METRICS_MONGO_URL": ["", "  ", "$METRICS_MONGO_URL", "changeme", "<mongodb url>",
                          "mongodb://fiufit:@mongo:27017", "mongodb://fiufit:$PASS@mongo:27017",
                          "http://mongo:27017"],
    "METRICS_REDIS_URL": ["", "$METRICS_REDIS_URL", "${METRICS_REDIS_URL}", "changeme",
                          "redis://:@127.0.0.1:6379/4", "redis://:$FIUFIT_REDIS_PASSWORD@r:6379/0",
                          "mongodb://127.0.0.1:6379"],
}  # fmt: skip


def environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METRICS_")}
    env.update(
        {
            "METRICS_MONGO_URL": MONGO_URL,
            "METRICS_REDIS_URL": REDIS_URL,
            "METRICS_HOST": "127.0.0.1",
            "METRICS_PORT": str(free_port()),
            "METRICS_PROMETHEUS_PORT": "0",
            "METRICS_CONSUMER_PROMETHEUS_PORT": "0",
            "METRICS_CONSUMER_HEALTH_PORT": str(free_port()),
            # A stream and group of this test's own: a consumer that starts consumes nothing.
            "METRICS_EVENTS_STREAM": f"fiufit:events:settings-test-{os.getpid()}",
            "METRICS_LOG_LEVEL": "WARNING",
        }
    )
    env.update(overrides)
    return env


def start(script: str, env: dict[str, str]) -> tuple[str, int | None, str]:
    """Runs a console script until it exits or answers: ("exited", code, stderr) or
    ("served", None, ""). Waits for one of those states, never for a fixed time."""
    process = subprocess.Popen(
        [str(BIN / script)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if script == "fiufit-metrics":
        url = f"http://127.0.0.1:{env['METRICS_PORT']}/metrics/healthcheck/"
    else:
        url = f"http://127.0.0.1:{env['METRICS_CONSUMER_HEALTH_PORT']}/health"
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
        raise AssertionError(f"{script} neither exited nor answered within 120 s")
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.parametrize("script", ["fiufit-metrics", "metrics-consumer"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("METRICS_MONGO_URL", ""),
        ("METRICS_REDIS_URL", ""),
        # FIUFIT_REDIS_PASSWORD unset: the template renders an empty password; before, both
        # processes started and used Redis without one.
        ("METRICS_REDIS_URL", f"redis://:@{REDIS_URL.removeprefix('redis://')}"),
    ],
)
def test_the_console_scripts_refuse_to_start_with_an_empty_secret(
    script: str, variable: str, value: str
) -> None:
    state, code, stderr = start(script, environment(**{variable: value}))
    assert state == "exited", f"{script} started with {variable}={value!r}"
    assert code != 0
    assert "refusing to start" in stderr and variable in stderr, stderr
    if value:
        assert value not in stderr  # the message names the variable, never its value


def test_the_secrets_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError) as refused:
        Settings()  # type: ignore[call-arg]
    assert {e["loc"][0] for e in refused.value.errors()} == {"mongo_url", "redis_url"}


@pytest.mark.parametrize(
    ("variable", "value"), [(name, value) for name, values in BAD.items() for value in values]
)
def test_placeholders_and_empty_passwords_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    for name, good in environment().items():
        if name.startswith("METRICS_"):
            monkeypatch.setenv(name, good)
    Settings()  # type: ignore[call-arg]  # the control: the real values start
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=variable):
        Settings()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "values",
    [
        {"redis_url": "redis://:0123abcd@redis-master:6379/0"},
        {"redis_url": "rediss://default:s3cret-value@redis.example:6380/0"},
        {"mongo_url": "mongodb+srv://fiufit:pa55word-x@cluster0.example.net/fiufit"},
        {"redis_url": "redis://127.0.0.1:6379/0", "mongo_url": "mongodb://127.0.0.1:27017"},
    ],
)
def test_real_urls_are_accepted(values: dict[str, Any]) -> None:
    settings = Settings(**{"mongo_url": MONGO_URL, "redis_url": REDIS_URL, **values})
    for key, value in values.items():
        assert getattr(settings, key).get_secret_value() == value
        assert value not in repr(settings)  # secrets: never in a log line


# Placeholders that name themselves, so that a message echoing the value would show.
NAMED_PLACEHOLDERS = [
    ("METRICS_MONGO_URL", "${METRICS_MONGO_URL_FROM_THE_VAULT}"),
    ("METRICS_MONGO_URL", "mongodb://metrics-mongo-login:<the-mongo-password>@mongo:27017"),
    ("METRICS_REDIS_URL", "redis://metrics-redis-login:changeme@redis:6379/0"),
]


@pytest.mark.parametrize(("variable", "value"), NAMED_PLACEHOLDERS)
def test_a_placeholder_secret_is_refused_naming_the_variable_never_the_value(
    variable: str, value: str
) -> None:
    field = variable.removeprefix("METRICS_").lower()
    with pytest.raises(ValidationError) as refused:
        Settings(**{"mongo_url": MONGO_URL, "redis_url": REDIS_URL, field: value})
    assert variable in str(refused.value)
    assert value not in str(refused.value)
    assert value.split("@")[0] not in str(refused.value)  # not even the URL's credentials


@pytest.mark.parametrize("script", ["fiufit-metrics", "metrics-consumer"])
@pytest.mark.parametrize(("variable", "value"), NAMED_PLACEHOLDERS)
def test_the_console_scripts_exit_2_naming_the_variable(
    script: str, variable: str, value: str
) -> None:
    state, code, stderr = start(script, environment(**{variable: value}))
    assert (state, code) == ("exited", 2), stderr
    assert stderr.startswith(f"{script}: refusing to start, the configuration is invalid:\n")
    assert f"\n  {variable} " in stderr, stderr  # one line per problem, naming the variable
    assert value not in stderr and value.split("@")[0] not in stderr
    assert "Traceback" not in stderr
