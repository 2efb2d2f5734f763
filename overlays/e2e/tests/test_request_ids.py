"""Requests you can follow: the gateway gives every request an id (or keeps the client's), each
service answers it back in X-Request-ID, and a service that calls another sends it on, so the
access lines of one journey share it across services.

Reading the services' own lines needs their output: $FIUFIT_STACK_LOG names the local stack's
combined log (overlays/test.sh), or $FIUFIT_STACK_LOG_COMMAND prints it (the compose logs, in
overlays/test-containers.sh)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from typing import Any

import pytest

from fiufit_e2e.api import Account, Gateway

PUBLIC_PATHS = ["/users/healthcheck/", "/trainings/healthcheck/", "/goals/healthcheck/"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_the_gateway_gives_each_request_an_id_the_service_answers_back(
    gw: Gateway, path: str
) -> None:
    first, second = gw.get(path), gw.get(path)
    assert first.status_code == second.status_code == 200
    ids = [first.headers.get("X-Request-ID", ""), second.headers.get("X-Request-ID", "")]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert ids[0] != ids[1]


def test_a_client_request_id_is_kept(gw: Gateway) -> None:
    mine = f"e2e-{uuid.uuid4().hex}"
    response = gw.get("/trainings/healthcheck/", headers={"X-Request-ID": mine})
    assert response.headers.get("X-Request-ID") == mine


def _service_output() -> str | None:
    if path := os.environ.get("FIUFIT_STACK_LOG"):
        with open(path, encoding="utf-8", errors="replace") as log:
            return log.read()
    if command := os.environ.get("FIUFIT_STACK_LOG_COMMAND"):
        done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
        return done.stdout
    return None


def _access_lines(output: str, request_id: str) -> list[dict[str, Any]]:
    found = []
    for line in output.splitlines():
        if request_id not in line or "{" not in line:
            continue
        try:
            entry = json.loads(line[line.index("{") :])  # past honcho's or compose's prefix
        except ValueError:
            continue
        if entry.get("logger") == "access" and entry.get("request_id") == request_id:
            found.append(entry)
    return found


def test_one_journey_is_followed_across_services(gw: Gateway, athlete: Account) -> None:
    """A password login passes users → authentication (the Firebase sign-in and the token)."""
    if _service_output() is None:
        pytest.skip("set FIUFIT_STACK_LOG or FIUFIT_STACK_LOG_COMMAND to read the services' lines")
    journey = f"e2e-{uuid.uuid4().hex}"
    response = gw.post(
        "/users/login",
        json={"email": athlete.email, "password": athlete.password},
        headers={"X-Request-ID": journey},
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 30  # the lines reach the log file a moment after the answer
    while True:
        lines = _access_lines(_service_output() or "", journey)
        routes = {line["route"] for line in lines}
        users_line = "/users/login" in routes
        internal = [r for r in routes if r.startswith("/auth/")]
        if users_line and internal:
            break
        assert time.monotonic() < deadline, f"lines for {journey}: {lines}"
        time.sleep(0.2)
    assert all(line["status"] < 400 for line in lines), lines
