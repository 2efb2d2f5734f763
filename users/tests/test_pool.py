"""No request holds a pooled connection while it waits on another service, and waiting for a
connection ends in a 503, never in a queue without end.

The slow dependency is real network I/O: USERS_PAYMENT_URL points at a TCP server of this test's
own that accepts the wallet call and answers only when the test says so (payment itself cannot
be made slow on demand, and anvil's mining is not the point: any slow remote step is)."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import (
    AUTH_URL,
    DATABASE_URL,
    DEADLINE,
    MONGO_DATABASE,
    MONGO_URL,
    REDIS_URL,
    SERVICE_TOKEN,
    Client,
    eventually,
    make_settings,
    profile,
    sign_up,
)
from users.app import create_app
from users.db import BUSY, Pool, open_pool
from users.errors import ServiceUnavailable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_service(**env: str) -> Iterator[str]:
    """`python -m users` on a free port against the test stores; yields its URL once ready."""
    port = free_port()
    values = {k: v for k, v in os.environ.items() if not k.startswith("USERS_")}
    values.update(
        {
            "USERS_HOST": "127.0.0.1",
            "USERS_PORT": str(port),
            "USERS_DATABASE_URL": DATABASE_URL,
            "USERS_REDIS_URL": REDIS_URL,
            "USERS_MONGO_URL": MONGO_URL,
            "USERS_MONGO_DATABASE": MONGO_DATABASE,
            "USERS_AUTH_URL": AUTH_URL,
            "USERS_SERVICE_TOKEN": SERVICE_TOKEN,
            "USERS_PROMETHEUS_PORT": "0",
            "USERS_OUTBOX_RELAY": "false",
            "USERS_UPSTREAM_TIMEOUT": str(DEADLINE * 2),
            "USERS_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    process = subprocess.Popen([sys.executable, "-m", "users"], env=values)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            assert process.poll() is None, "the service exited at start-up"
            try:
                if httpx.get(f"{url}/users/readiness/").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class SlowServer:
    """Accepts connections, reads the request, and holds the answer until `release()`."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.requests = 0
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            self.requests += 1
            self._release.wait()
            body = b'{"detail": "slow stand-in"}'
            conn.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                b"Content-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self.release()
        self._listener.close()


@pytest.fixture
def slow_payment() -> Iterator[SlowServer]:
    server = SlowServer()
    yield server
    server.close()


async def test_a_slow_sign_up_does_not_starve_logins(
    client: Client, slow_payment: SlowServer, http: httpx.AsyncClient
) -> None:
    """The bug: sign-up kept its connection (and transaction) open while payment created the
    wallet (on a real chain, until the gas grant is mined); with the pool full, logins queued.
    The service runs as its own process (the in-process test client serves one request at a
    time), with a pool of one connection."""
    existing = await sign_up(client)
    with running_service(
        USERS_PAYMENT_URL=slow_payment.url,
        USERS_DATABASE_POOL_MIN="1",
        USERS_DATABASE_POOL_MAX="1",
    ) as url:
        signing_up = asyncio.create_task(http.post(f"{url}/users", json=profile()))

        async def waiting_on_payment() -> bool:
            return slow_payment.requests > 0

        await eventually(waiting_on_payment, "the sign-up to call payment")
        # While the sign-up waits on payment, the one connection is free for a login.
        login = await asyncio.wait_for(
            http.post(
                f"{url}/users/login",
                json={"email": existing["email"], "password": existing["password"]},
            ),
            DEADLINE,
        )
        assert login.status_code == 200, login.text
        assert not signing_up.done()
        slow_payment.release()
        created = await signing_up
        # payment answered 503: the wallet is deferred, the sign-up stands.
        assert created.status_code == 201, created.text


async def test_waiting_for_a_connection_ends_in_503(make_actor: Any) -> None:
    actor = await make_actor()
    settings = make_settings(
        database_pool_min=1,
        database_pool_max=1,
        database_pool_timeout=0.2,
        bootstrap_admin_email=None,
    )
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        pool = app.state.services.pool.raw
        held = client.blocking_portal.call(pool.acquire)  # the only connection, in the app's loop
        try:
            busy = await client.get(f"/users/{actor.id}", headers=actor.headers)
            assert busy.status_code == 503, busy.text
            assert busy.json() == {"detail": "The database is busy, try again"}
            assert busy.headers["retry-after"] == "1"
        finally:
            client.blocking_portal.call(pool.release, held)
        again = await client.get(f"/users/{actor.id}", headers=actor.headers)
        assert again.status_code == 200


async def test_every_wait_past_its_deadline_ends_and_the_served_ones_are_spared() -> None:
    """Waits queued behind a held connection all end in 503 at their deadline, leaving the pool
    whole; a wait that got its connection is never cancelled later, however long it keeps it."""
    raw = await open_pool(DATABASE_URL, 1, 1)
    pool = Pool(raw, 0.2)
    try:
        async with pool.acquire() as held:
            waits = [asyncio.create_task(_read_one(pool)) for _ in range(3)]
            outcomes = await asyncio.wait_for(
                asyncio.gather(*waits, return_exceptions=True), DEADLINE
            )
            assert [type(o) for o in outcomes] == [ServiceUnavailable] * 3
            assert all(o.detail == BUSY for o in outcomes if isinstance(o, ServiceUnavailable))
            assert await held.fetchval("SELECT 1") == 1

        async def keep_past_the_deadline() -> int:
            async with pool.acquire() as conn:
                await asyncio.sleep(0.6)  # three timeouts: the timer must not reach a served wait
                return int(await conn.fetchval("SELECT 2"))

        kept = asyncio.create_task(keep_past_the_deadline())
        waiting = asyncio.create_task(_read_one(pool))  # queues behind it, and times out
        assert await asyncio.wait_for(kept, DEADLINE) == 2
        with pytest.raises(ServiceUnavailable):
            await asyncio.wait_for(waiting, DEADLINE)
        assert await asyncio.wait_for(_read_one(pool), DEADLINE) == 1
        assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    finally:
        await pool.close()


async def _read_one(pool: Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT 1"))
