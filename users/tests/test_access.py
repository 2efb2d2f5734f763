"""The access log and the request id: one JSON line per request on stdout, naming the route
template, the status, the duration and the caller; the gateway's X-Request-ID kept, answered back
and passed on to internal calls, or one generated."""

import json
from typing import Any

import httpx
import pytest

from tests.helpers import Client, bearer, eventually, sign_up, token
from users import access
from users.prometheus import RequestMetrics


def access_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "access"]


async def test_each_request_writes_one_access_line_with_its_caller(
    client: Client, http: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await sign_up(client)
    jwt = await token(http, "user", user["id"], True)
    access.flush()
    capsys.readouterr()
    response = await client.get(
        f"/users/{user['id']}", headers={**bearer(jwt), "X-Request-ID": "journey-42"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "journey-42"
    # The line is written a moment later, with whatever else is pending (never lost).
    out = ""

    async def written() -> bool:
        nonlocal out
        out += capsys.readouterr().out
        return bool(access_lines(out))

    await eventually(written, "the access line")
    [line] = access_lines(out)
    assert line["method"] == "GET"
    assert line["route"] == "/users/{user_id}"  # the template, never the id itself
    assert line["status"] == 200
    assert line["request_id"] == "journey-42"
    assert line["caller_id"] == user["id"] and line["caller_role"] == "user"
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0


async def test_an_unrouted_or_anonymous_request_is_logged_with_a_generated_id(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    access.flush()
    capsys.readouterr()
    missing = await client.get("/nowhere", headers={"X-Request-ID": "not plain; <script>"})
    assert missing.status_code == 404
    access.flush()
    [line] = access_lines(capsys.readouterr().out)
    assert line["status"] == 404 and line["route"] == "(unrouted)"
    assert "caller_id" not in line
    # A forged, unplain id is replaced by one of our own, the same in the log and the answer.
    assert line["request_id"] == missing.headers["X-Request-ID"] != "not plain; <script>"
    assert len(line["request_id"]) == 32


async def test_internal_calls_carry_the_request_id_of_the_request_they_serve() -> None:
    seen: list[str | None] = []

    async def internal(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Request-ID"))
        return httpx.Response(200)

    # The peer is a stand-in transport: what is tested is the header our client sends.
    async def app(scope: Any, receive: Any, send: Any) -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(internal), event_hooks={"request": [access.propagate]}
        ) as upstream:
            await upstream.get("http://peer/")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=access.AccessLog(app, RequestMetrics("test")))
    ) as c:
        answer = await c.get("http://users/", headers={"X-Request-ID": "abc-123"})
    assert answer.headers["X-Request-ID"] == "abc-123"
    assert seen == ["abc-123"]
    assert access.request_id() is None  # outside a request there is none


async def test_lines_are_written_together_and_none_is_lost(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    access.flush()
    capsys.readouterr()
    ids = [f"batch-{n}" for n in range(access.MAX_PENDING + 10)]
    for request_id in ids:
        response = await client.get("/users/healthcheck/", headers={"X-Request-ID": request_id})
        assert response.status_code == 200
    # Fewer than MAX_PENDING lines ever wait: the others were written without a flush.
    early = access_lines(capsys.readouterr().out)
    assert len(early) > len(ids) - access.MAX_PENDING
    access.flush()
    lines = early + access_lines(capsys.readouterr().out)
    assert [line["request_id"] for line in lines] == ids
