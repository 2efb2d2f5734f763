"""Postgres going away: a real TCP relay in front of the real server, closed and reopened; and a
shutdown that a stuck connection cannot hold."""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import DATABASE, Create, make_settings, recorded
from trainings import app as app_module
from trainings.app import create_app
from trainings.db import Connection
from trainings.services import Services


class Relay:
    """Forwards a local port to Postgres until stopped (then connections drop and new ones are
    refused), and can start again on the same port. It runs its own event loop in a thread:
    the test client blocks the test's loop while the app runs."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def start(self) -> None:
        self._run(self._start())

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 5432)
        self._writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
def relay() -> Iterator[Relay]:
    relay = Relay()
    relay.start()
    yield relay
    relay.close()


async def test_postgres_down_is_503_and_the_service_recovers(relay: Relay, create: Create) -> None:
    training = await create()
    url = f"postgresql://postgres@127.0.0.1:{relay.port}/{DATABASE}"
    settings = make_settings(database_url=url, outbox_poll_interval=5)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get(f"/trainings/{training['id']}")).status_code == 200

        relay.stop()
        for path in (f"/trainings/{training['id']}", "/trainings", "/users/1/trainings"):
            response = await client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert response.json() == {"detail": "Database unavailable"}
        ready = await client.get("/trainings/readiness/")
        assert ready.status_code == 503 and ready.json()["checks"]["postgres"] == "unavailable"
        assert str(relay.port) not in ready.text and "rror" not in ready.text  # no error text
        assert (await client.get("/trainings/healthcheck/")).status_code == 200  # liveness

        relay.start()  # same port: the pool reconnects by itself
        assert (await client.get(f"/trainings/{training['id']}")).status_code == 200
        assert (await client.get("/trainings/readiness/")).status_code == 200


async def test_a_connection_never_given_back_does_not_hold_the_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pool's close waits for its connections; after CLOSE_TIMEOUT it is terminated instead.
    monkeypatch.setattr(app_module, "CLOSE_TIMEOUT", 0.2)
    app = create_app(make_settings(outbox_relay_enabled=False))
    with recorded("trainings.app") as messages:
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/trainings/readiness/")).status_code == 200
            services: Services = app.state.services

            async def hold() -> Connection:  # stuck in "a dependency": never released
                return await services.pool.acquire()

            held = client.blocking_portal.call(hold)  # in the app's own event loop
    assert messages == ["database pool still busy after 0.2 s: terminating it"]
    assert services.pool.is_closing()
    with pytest.raises(asyncpg.InterfaceError):  # the pool took it back by force
        held.is_closed()
